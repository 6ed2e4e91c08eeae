// The console's pure helpers (functions/console/format.ts), which the browser
// runs from their source text: int64s through BigInt only, data encodings,
// paths, and the SSE framing of docs/api.md.
import { describe, expect, test } from "vitest";
import {
  ancestry,
  base64ToBytes,
  baseName,
  basicAuth,
  bytesToBase64,
  encodePath,
  hexDump,
  hexToBytes,
  int64Hex,
  joinPath,
  looksSequential,
  parentOf,
  parseSseBlock,
  permsText,
  prettyJson,
  utf8OrNull,
} from "../../functions/console/format.js";

describe("int64Hex", () => {
  test("keeps every digit of values a double cannot hold", () => {
    expect(int64Hex("9223372036854775807")).toBe("0x7fffffffffffffff");
    expect(int64Hex("9007199254740993")).toBe("0x20000000000001");
    expect(int64Hex("0")).toBe("0x0");
  });
  test("prints negative int64s as their unsigned 64 bits, as ZooKeeper prints session ids", () => {
    expect(int64Hex("-1")).toBe("0xffffffffffffffff");
    expect(int64Hex("-9223372036854775808")).toBe("0x8000000000000000");
  });
});

describe("data encodings", () => {
  const bytes = Uint8Array.from([0, 1, 0x7f, 0x80, 0xff, 0x41]);
  test("base64 both ways, and against Node's encoder", () => {
    expect(bytesToBase64(bytes)).toBe(Buffer.from(bytes).toString("base64"));
    expect([...base64ToBytes(Buffer.from(bytes).toString("base64"))]).toEqual([...bytes]);
    expect([...base64ToBytes("")]).toEqual([]);
    const big = Uint8Array.from({ length: 100_000 }, (_, i) => (i * 7) & 0xff);
    expect(bytesToBase64(big)).toBe(Buffer.from(big).toString("base64"));
  });
  test("hex dump rows and hex input", () => {
    expect(hexDump(new TextEncoder().encode("hello, world! 12345"))).toBe(
      "00000000  68 65 6c 6c 6f 2c 20 77 6f 72 6c 64 21 20 31 32  hello, world! 12\n00000010  33 34 35                                         345",
    );
    expect([...hexToBytes("00 01 7f\n80 ff 41")!]).toEqual([...bytes]);
    expect(hexToBytes("abc")).toBeNull();
    expect(hexToBytes("zz")).toBeNull();
  });
  test("UTF-8 text or null, JSON or null", () => {
    expect(utf8OrNull(new TextEncoder().encode("héllo"))).toBe("héllo");
    expect(utf8OrNull(Uint8Array.from([0xff, 0xfe]))).toBeNull();
    expect(prettyJson('{"a":[1,2]}')).toBe('{\n  "a": [\n    1,\n    2\n  ]\n}');
    expect(prettyJson("not json")).toBeNull();
  });
  test("Basic credentials are base64 of the UTF-8 user:password", () => {
    expect(basicAuth("alice", "pa:ss")).toBe("Basic " + Buffer.from("alice:pa:ss").toString("base64"));
    expect(basicAuth("jörg", "ü")).toBe("Basic " + Buffer.from("jörg:ü", "utf8").toString("base64"));
  });
});

describe("paths", () => {
  test("parent, child, base name, ancestry", () => {
    expect(parentOf("/")).toBeNull();
    expect(parentOf("/a")).toBe("/");
    expect(parentOf("/a/b")).toBe("/a");
    expect(joinPath("/", "a")).toBe("/a");
    expect(joinPath("/a", "b")).toBe("/a/b");
    expect(baseName("/")).toBe("/");
    expect(baseName("/a/b")).toBe("b");
    expect(ancestry("/")).toEqual(["/"]);
    expect(ancestry("/a/b")).toEqual(["/", "/a", "/a/b"]);
  });
  test("URL form: each segment percent-encoded, slashes kept", () => {
    expect(encodePath("/")).toBe("/");
    expect(encodePath("/a b/c?d#e/%")).toBe("/a%20b/c%3Fd%23e/%25");
  });
  test("a sequential name is a ten-digit suffix", () => {
    expect(looksSequential("lock-0000000012")).toBe(true);
    expect(looksSequential("0000000003")).toBe(true);
    expect(looksSequential("lock-000000012")).toBe(false);
  });
  test("permissions in ZooKeeper's order", () => {
    expect(permsText("arwdc")).toBe("cdrwa");
    expect(permsText("r")).toBe("r");
  });
});

describe("parseSseBlock", () => {
  test("reads id and data, and drops keepalive comments", () => {
    expect(parseSseBlock('data: {"type":"NodeCreated","path":"/a","zxid":"7"}\nid: 7')).toEqual({ data: '{"type":"NodeCreated","path":"/a","zxid":"7"}', id: "7" });
    expect(parseSseBlock("retry: 1000\nid: 0")).toEqual({ retry: "1000", id: "0" });
    expect(parseSseBlock(": keepalive")).toEqual({});
    expect(parseSseBlock("event: error\r\ndata: {}")).toEqual({ event: "error", data: "{}" });
    expect(parseSseBlock("data: a\ndata: b")).toEqual({ data: "a\nb" });
  });
});

describe("the shipped script (functions/console/assets.ts)", () => {
  test("is one parseable script that carries every helper the program imports", async () => {
    const { CONSOLE_JS } = await import("../../functions/console/assets.js");
    const format = await import("../../functions/console/format.js");
    expect(() => new Function(CONSOLE_JS)).not.toThrow();
    for (const name of Object.keys(format)) expect(CONSOLE_JS).toMatch(new RegExp(`function ${name}\\(`));
  });

  test("format.ts declares only exported functions, since only those are shipped", async () => {
    const fs = await import("node:fs");
    const source = fs.readFileSync(new URL("../../functions/console/format.ts", import.meta.url), "utf8");
    expect(source.match(/^(?!export function )\S.*$/gm)?.filter((l) => !l.startsWith("//") && !l.startsWith("/*") && !l.startsWith(" *") && l !== "}") ?? []).toEqual([]);
  });
});
