// lib/keys.ts: the etcd key layout. Listing and counting children is one range
// read, so the depth prefix must make a znode's direct children exactly one
// contiguous key range: no grandchild, no sibling that shares a name prefix
// (/ab next to /a), no znode of another depth. The parsers must invert the
// builders, or the service would misname what it lists.
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { prefixEnd } from "../../lib/etcd/types.js";
import { Keys, type Range } from "../../lib/keys.js";
import { parentOf } from "../../lib/path.js";

const keys = new Keys("t/");

/** etcd's range semantics, for the ASCII keys of this layout: [key, rangeEnd). */
const inRange = (r: Range, key: string) => key >= r.key && key < r.rangeEnd;

// Paths chosen to sit next to each other in key order: names that share a
// prefix, and the characters just below and above "/" (".", "-", "0").
const NEIGHBOURS = ["/a", "/ab", "/a-", "/a.b", "/a0", "/a/b", "/a/b/c", "/a/bc", "/a/b-", "/a.b/c", "/a-/x", "/ab/c", "/b", "/b/a", "/", "/0", "/9/9"];

describe("node keys", () => {
  test("the depth follows the prefix and precedes the path", () => {
    expect(keys.node("/")).toBe("t/n/0/");
    expect(keys.node("/a")).toBe("t/n/1/a");
    expect(keys.node("/a/b")).toBe("t/n/2/a/b");
  });

  test("the children range of /a holds its direct children and nothing else", () => {
    const range = keys.children("/a");
    const inside = NEIGHBOURS.filter((p) => inRange(range, keys.node(p)));
    expect(inside.sort()).toEqual(["/a/b", "/a/b-", "/a/bc"]);
  });

  test("a grandchild and a sibling with a longer name are outside /a's children range", () => {
    const range = keys.children("/a");
    expect(inRange(range, keys.node("/a/b/c"))).toBe(false);
    expect(inRange(range, keys.node("/ab/c"))).toBe(false);
    expect(inRange(range, keys.node("/a.b/c"))).toBe(false);
    expect(inRange(range, keys.node("/a"))).toBe(false);
  });

  test("the root's children range holds depth-1 znodes, not the root, and not depth 10 or more", () => {
    const range = keys.children("/");
    expect(range.key).toBe("t/n/1/");
    for (const p of ["/a", "/zookeeper", "/0", "/~"]) expect(inRange(range, keys.node(p))).toBe(true);
    const deep10 = "/d".repeat(10);
    const deep11 = "/d".repeat(11);
    expect(keys.node(deep10).startsWith("t/n/10/")).toBe(true);
    for (const p of ["/", "/a/b", deep10, deep11]) expect(inRange(range, keys.node(p))).toBe(false);
  });

  test("a depth-9 znode's children (depth 10) do not take in depth-1 znodes", () => {
    const parent = "/d".repeat(9);
    const range = keys.children(parent);
    expect(inRange(range, keys.node(`${parent}/x`))).toBe(true);
    expect(inRange(range, keys.node("/x"))).toBe(false);
    expect(inRange(range, keys.node(`${parent}/x/y`))).toBe(false);
  });

  test("for any set of paths, each children range holds exactly the direct children", () => {
    const segment = fc.string({ unit: fc.constantFrom("a", "b", "-", ".", "0", "1", "z", "~", "A"), minLength: 1, maxLength: 3 });
    const path = fc.array(segment, { minLength: 1, maxLength: 12 }).map((segs) => "/" + segs.join("/"));
    fc.assert(
      fc.property(fc.uniqueArray(path, { maxLength: 30 }), (paths) => {
        const all = ["/", ...paths];
        for (const parent of all) {
          const range = keys.children(parent);
          const listed = all.filter((p) => inRange(range, keys.node(p))).sort();
          const children = all.filter((p) => p !== "/" && parentOf(p) === parent).sort();
          expect(listed).toEqual(children);
        }
      }),
    );
  });

  test("childName gives the name within the listed range", () => {
    expect(keys.childName(keys.children("/a"), keys.node("/a/b"))).toBe("b");
    expect(keys.childName(keys.children("/"), keys.node("/zookeeper"))).toBe("zookeeper");
    const deep = "/d".repeat(12);
    expect(keys.childName(keys.children(deep), keys.node(`${deep}/leaf-0000000001`))).toBe("leaf-0000000001");
  });

  test.each(["/", "/a", "/a/b", "/123", "/1/2/3", "/0000000007", "/d".repeat(10), "/日本/語"])("nodePath inverts node for %j (digits right after the depth included)", (p) => {
    expect(keys.nodePath(keys.node(p))).toBe(p);
  });

  test("nodePath is null for a key of another kind or another tree", () => {
    expect(keys.nodePath(keys.acl("/a"))).toBeNull();
    expect(keys.nodePath(keys.ekey("/a"))).toBeNull();
    expect(keys.nodePath(new Keys("u/").node("/a"))).toBeNull();
  });
});

describe("parsers invert builders", () => {
  const paths = ["/", "/a", "/a/b", "/42", "/7/x", "/a".repeat(11), "/x-0000000003"];

  test.each(paths)("aclPath(acl(%j))", (p) => {
    expect(keys.aclPath(keys.acl(p))).toBe(p);
  });

  test("aclPath is null for other kinds of key", () => {
    expect(keys.aclPath(keys.node("/a"))).toBeNull();
    expect(keys.aclPath(keys.creations("/a"))).toBeNull();
    expect(keys.aclPath(new Keys("u/").acl("/a"))).toBeNull();
  });

  test.each(paths)("elistEntryPath(elistEntry(%j))", (p) => {
    expect(keys.elistEntryPath(keys.elistEntry(p))).toBe(p);
  });

  test.each(paths)("expiringPath(expiring(%j))", (p) => {
    expect(keys.expiringPath(keys.expiring(p))).toBe(p);
  });

  test.each([1n, 0x1000_0000_0000_0042n, 2n ** 63n - 1n])("ownedPath over ownedBy(%s)", (session) => {
    const range = keys.ownedBy(session);
    for (const p of ["/a", "/a/b", "/42/x"]) {
      const key = keys.owned(session, p);
      expect(inRange(range, key)).toBe(true);
      expect(keys.ownedPath(range, key)).toBe(p);
    }
  });

  test("session ids are written out in full, beyond 2^53", () => {
    expect(keys.session(2n ** 53n + 1n)).toBe("t/s/9007199254740993");
    expect(keys.owned(2n ** 53n + 1n, "/e")).toBe("t/o/9007199254740993/e");
  });

  test("a session's owned range does not take in a session whose id extends it", () => {
    expect(inRange(keys.ownedBy(12n), keys.owned(123n, "/a"))).toBe(false);
    expect(inRange(keys.ownedBy(12n), keys.owned(12n, "/a"))).toBe(true);
  });

  test("the same holds with an empty prefix", () => {
    const bare = new Keys("");
    expect(bare.node("/a")).toBe("n/1/a");
    expect(bare.nodePath(bare.node("/a/1"))).toBe("/a/1");
    expect(bare.aclPath(bare.acl("/a"))).toBe("/a");
    expect(bare.elistEntryPath(bare.elistEntry("/a/9"))).toBe("/a/9");
    expect(bare.expiringPath(bare.expiring("/c"))).toBe("/c");
  });
});

describe("ephemeral listings", () => {
  test("ekeys and elist of /p hold its direct ephemeral children only", () => {
    for (const [build, range] of [
      [(p: string) => keys.ekey(p), keys.ekeys("/p")],
      [(p: string) => keys.elistEntry(p), keys.elist("/p")],
    ] as const) {
      expect(inRange(range, build("/p/e1"))).toBe(true);
      expect(inRange(range, build("/p/e1/x"))).toBe(false);
      expect(inRange(range, build("/pq/e"))).toBe(false);
      expect(inRange(range, build("/p"))).toBe(false);
    }
  });

  test("allElistEntries holds every elist entry and no ekey", () => {
    const range = keys.allElistEntries();
    expect(inRange(range, keys.elistEntry("/a/b/c"))).toBe(true);
    expect(inRange(range, keys.ekey("/a/b/c"))).toBe(false);
  });
});

describe("the kinds of key do not overlap", () => {
  const builders: [string, string][] = [
    ["node", keys.node("/a")],
    ["ekey", keys.ekey("/a")],
    ["elist", keys.elistEntry("/a")],
    ["creations", keys.creations("/a")],
    ["deletions", keys.deletions("/a")],
    ["acl", keys.acl("/a")],
    ["session", keys.session(5n)],
    ["owned", keys.owned(5n, "/a")],
    ["expiring", keys.expiring("/a")],
    ["cursor", keys.cursor()],
    ["base", keys.base()],
    ["txn", keys.txnMarker()],
    ["events", keys.events()],
  ];
  const ranges: [string, Range][] = [
    ["node", keys.allNodes()],
    ["elist", keys.allElistEntries()],
    ["session", keys.allSessions()],
    ["owned", keys.allOwned()],
    ["expiring", keys.allExpiring()],
  ];

  test.each(ranges)("the %s range holds its own kind only", (kind, range) => {
    const held = builders.filter(([, key]) => inRange(range, key)).map(([k]) => k);
    expect(held).toEqual([kind]);
  });

  test("every key is distinct", () => {
    expect(new Set(builders.map(([, k]) => k)).size).toBe(builders.length);
  });
});

describe("all()", () => {
  test("with a prefix: every key of the tree, none of a tree whose prefix extends it", () => {
    const range = keys.all();
    expect(range).toEqual({ key: "t/", rangeEnd: "t0" });
    for (const k of [keys.node("/a"), keys.base(), keys.events(), keys.owned(1n, "/a")]) expect(inRange(range, k)).toBe(true);
    expect(inRange(range, new Keys("t2/").node("/a"))).toBe(false);
    expect(inRange(range, new Keys("s/").node("/a"))).toBe(false);
  });

  test('with prefix "": from the first key on, etcd\'s "\\0" range end', () => {
    expect(new Keys("").all()).toEqual({ key: "\0", rangeEnd: "\0" });
  });
});

describe("prefixEnd", () => {
  test.each([
    ["abc", "abd"],
    ["t/", "t0"],
    ["t/n/1/", "t/n/10"],
    ["a", "b"],
  ])("prefixEnd(%j) is %j", (prefix, end) => {
    expect(prefixEnd(prefix)).toBe(end);
  });

  test("[p, prefixEnd(p)) holds exactly the keys that start with p (printable ASCII)", () => {
    const ascii = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 6 });
    const other = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 6 });
    fc.assert(
      fc.property(ascii, other, (p, k) => {
        const range = { key: p, rangeEnd: prefixEnd(p) };
        expect(inRange(range, p + k)).toBe(true);
        expect(inRange(range, k)).toBe(k.startsWith(p));
      }),
    );
  });
});
