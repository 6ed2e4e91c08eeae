// lib/path.ts against ZooKeeper 3.8's PathUtils.validatePath, character by
// character at the edges of every refused range, and the path arithmetic.
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { ZkError } from "../../lib/errors.js";
import { basename, depth, isSystemPath, join, parentOf, pathProblem, SYSTEM_PATHS, validatePath } from "../../lib/path.js";

describe("pathProblem", () => {
  test.each([
    "/",
    "/a",
    "/a/b/c",
    "/zookeeper",
    "/zookeeper/config",
    "/a b",
    "/...",
    "/.a",
    "/a.",
    "/a..b",
    "/a/.../b",
    "/.hidden/..x",
    "/~!@#$%^&*()_+=-`[]{};':\",<>?\\|",
    "/\u00a0",
    "/\u00ff",
    "/\u0100",
    "/\ud7ff",
    "/\uf900",
    "/\ufeff",
    "/\uffef",
    "/日本語",
    "/a".repeat(1000),
  ])("accepts %j", (p) => {
    expect(pathProblem(p)).toBeNull();
    expect(() => validatePath(p)).not.toThrow();
  });

  test.each([
    ["", "empty"],
    ["a", "no leading /"],
    ["a/b", "no leading /"],
    [" /a", "leading space"],
    ["/a/", "trailing /"],
    ["//", "trailing / (and empty)"],
    ["//a", "empty segment"],
    ["/a//b", "empty segment"],
    ["/a/b//", "empty and trailing"],
    ["/.", "dot"],
    ["/..", "dot dot"],
    ["/a/.", "trailing dot"],
    ["/a/..", "trailing dot dot"],
    ["/./a", "leading dot"],
    ["/../a", "leading dot dot"],
    ["/a/./b", "middle dot"],
    ["/a/../b", "middle dot dot"],
    ["/\u0000", "null"],
    ["/a\u0000b", "null"],
  ])("refuses %j (%s)", (p) => {
    expect(pathProblem(p)).toEqual(expect.any(String));
  });

  // Every code unit at the edge of ZooKeeper's refused ranges.
  const refusedRanges: [number, number][] = [
    [0x0001, 0x001f],
    [0x007f, 0x009f],
    [0xd800, 0xf8ff],
    [0xfff0, 0xffff],
  ];
  const refused = (c: number) => c === 0 || refusedRanges.some(([lo, hi]) => c >= lo && c <= hi);

  test.each([0x00, 0x01, 0x09, 0x0a, 0x1f, 0x20, 0x7e, 0x7f, 0x80, 0x85, 0x9f, 0xa0, 0xd7ff, 0xd800, 0xdbff, 0xdc00, 0xdfff, 0xe000, 0xf8ff, 0xf900, 0xffef, 0xfff0, 0xfffd, 0xffff].map((c) => [c.toString(16).toUpperCase().padStart(4, "0"), c] as const))(
    "the code unit U+%s is refused exactly when ZooKeeper refuses it",
    (_hex, c) => {
      const ch = String.fromCharCode(c);
      for (const p of [`/${ch}`, `/a${ch}b`, `/a/${ch}`]) {
        expect(pathProblem(p) !== null, `${JSON.stringify(p)}`).toBe(refused(c));
      }
    },
  );

  test("every BMP code unit is refused exactly when ZooKeeper refuses it", () => {
    for (let c = 0; c <= 0xffff; c++) {
      if (c === 0x2f || c === 0x2e) continue; // '/' and '.' have their own rules
      const problem = pathProblem(`/x${String.fromCharCode(c)}y`);
      if ((problem !== null) !== refused(c)) throw new Error(`U+${c.toString(16)}: ${problem}`);
    }
  });

  test("characters outside the BMP (surrogate pairs) are refused", () => {
    for (const s of ["\u{1F600}", "\u{10000}", "\u{10FFFF}", "\u{20000}"]) {
      expect(pathProblem(`/${s}`)).not.toBeNull();
      expect(pathProblem(`/a/b${s}c`)).not.toBeNull();
    }
  });

  test("a sequential create's path is validated as if a digit followed (ZooKeeper's path + \"1\")", () => {
    expect(pathProblem("/a/", true)).toBeNull();
    expect(pathProblem("/", true)).toBeNull();
    expect(pathProblem("/a/s-", true)).toBeNull();
    expect(pathProblem("/a/.", true)).toBeNull(); // "/a/.1"
    expect(pathProblem("/a/..", true)).toBeNull(); // "/a/..1"
    expect(pathProblem("/a//", true)).not.toBeNull();
    expect(pathProblem("//", true)).not.toBeNull();
    expect(pathProblem("/a/../b/", true)).not.toBeNull();
    expect(pathProblem("/a\u0000/", true)).not.toBeNull();
    expect(pathProblem("", true)).not.toBeNull(); // "1": must start with /
  });

  test("property: agrees with a transcription of PathUtils.validatePath", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constantFrom("/", ".", "..", "a", "\u0000", "\u0001", "\u007f", "\u00a0", "\ud800", "\udfff", "\ue000", "\uf900", "\ufff0", "\u{1F600}", " "), fc.string({ maxLength: 3 })), { maxLength: 8 }),
        fc.boolean(),
        (parts, sequential) => {
          const p = parts.join("");
          expect(pathProblem(p, sequential) === null, JSON.stringify(p)).toBe(zkValid(sequential ? p + "1" : p));
        },
      ),
      { numRuns: 2000, seed: 42 },
    );
  });
});

/** PathUtils.validatePath (ZooKeeper 3.8), transcribed: true when it would not throw. */
function zkValid(path: string): boolean {
  if (path.length === 0) return false;
  if (path[0] !== "/") return false;
  if (path.length === 1) return true;
  if (path[path.length - 1] === "/") return false;
  let lastc = "/";
  for (let i = 1; i < path.length; lastc = path[i]!, i++) {
    const c = path[i]!;
    const code = path.charCodeAt(i);
    if (code === 0) return false;
    else if (c === "/" && lastc === "/") return false;
    else if (c === "." && lastc === ".") {
      if (path[i - 2] === "/" && (i + 1 === path.length || path[i + 1] === "/")) return false;
    } else if (c === ".") {
      if (path[i - 1] === "/" && (i + 1 === path.length || path[i + 1] === "/")) return false;
    } else if ((code > 0 && code <= 0x1f) || (code >= 0x7f && code <= 0x9f) || (code >= 0xd800 && code <= 0xf8ff) || code >= 0xfff0) {
      return false;
    }
  }
  return true;
}

describe("validatePath", () => {
  test("throws BADARGUMENTS naming the path", () => {
    let thrown: unknown;
    try {
      validatePath("/a//b");
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(ZkError);
    expect((thrown as ZkError).code).toBe("BADARGUMENTS");
    expect((thrown as ZkError).path).toBe("/a//b");
    expect((thrown as ZkError).message).toMatch(/\/a\/\/b/);
  });

  test("passes the sequential flag on", () => {
    expect(() => validatePath("/a/", true)).not.toThrow();
    expect(() => validatePath("/a/")).toThrow(ZkError);
  });
});

describe("path arithmetic", () => {
  test.each([
    ["/", "/"],
    ["/a", "/"],
    ["/a/b", "/a"],
    ["/a/b/c", "/a/b"],
    ["/zookeeper/config", "/zookeeper"],
    ["/a/b-0000000001", "/a"],
  ])("parentOf(%j) is %j", (p, parent) => {
    expect(parentOf(p)).toBe(parent);
  });

  test.each([
    ["/", 0],
    ["/a", 1],
    ["/a/b", 2],
    ["/a/b/c", 3],
    ["/\u00e9/\u65e5", 2],
  ])("depth(%j) is %d", (p, d) => {
    expect(depth(p)).toBe(d);
  });

  test.each([
    ["/", "a", "/a"],
    ["/a", "b", "/a/b"],
    ["/a/b", "c-0000000001", "/a/b/c-0000000001"],
  ])("join(%j, %j) is %j", (parent, name, p) => {
    expect(join(parent, name)).toBe(p);
  });

  test("basename", () => {
    expect(basename("/a/b")).toBe("b");
    expect(basename("/a")).toBe("a");
  });

  test("property: join and parentOf/basename invert each other; depth grows by one", () => {
    const name = fc.stringMatching(/^[a-z0-9._-]{1,5}$/).filter((n) => n !== "." && n !== "..");
    fc.assert(
      fc.property(fc.array(name, { maxLength: 5 }), name, (segments, leaf) => {
        const parent = segments.length === 0 ? "/" : "/" + segments.join("/");
        const child = join(parent, leaf);
        expect(pathProblem(child)).toBeNull();
        expect(parentOf(child)).toBe(parent);
        expect(basename(child)).toBe(leaf);
        expect(depth(child)).toBe(depth(parent) + 1);
      }),
      { numRuns: 500, seed: 7 },
    );
  });

  test("ZooKeeper's own nodes", () => {
    expect([...SYSTEM_PATHS]).toEqual(["/", "/zookeeper", "/zookeeper/quota", "/zookeeper/config"]);
    for (const p of SYSTEM_PATHS) expect(isSystemPath(p)).toBe(true);
    for (const p of ["/zookeeper/quota/x", "/zookeeperx", "/a"]) expect(isSystemPath(p)).toBe(false);
  });
});
