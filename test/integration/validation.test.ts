// Every refusal of docs/api.md's "Conventions" and "Validation" sections, over both
// transports: the status, the error body, and that a refused request spends no
// zxid (ZooKeeper's client refuses these before sending). Plus a property test:
// whatever arrives, the service never answers 5xx and every 4xx is well formed.
import fc from "fast-check";
import { beforeAll, describe, expect, test } from "vitest";
import { etcdPerFile } from "../support/suite.js";
import { b64, service, TRANSPORTS, unb64, type Reply } from "../support/service.js";

const etcd = etcdPerFile();

type Svc = ReturnType<typeof service>;
type Init = Parameters<Svc["call"]>[2];

const BAD = { status: 400, code: "BADARGUMENTS", zkCode: -8 };
const INVALIDACL = { status: 400, code: "INVALIDACL", zkCode: -114 };
const TOOLARGE = { status: 413, code: "TOOLARGE", zkCode: null };
const MEDIA = { status: 415, code: "UNSUPPORTEDMEDIATYPE", zkCode: null };
const EXPIRED = { status: 410, code: "SESSIONEXPIRED", zkCode: -112 };
const NOTFOUND = { status: 404, code: "NOTFOUND", zkCode: null };
const NOTALLOWED = { status: 405, code: "METHODNOTALLOWED", zkCode: null };

interface Want {
  status: number;
  code: string;
  zkCode: number | null;
}

/** The zxid the service reports for a read: what it had applied. */
async function currentZxid(svc: Svc): Promise<bigint> {
  const r = await svc.call("GET", "/v1/znodes/?view=stat");
  expect(r.status).toBe(200);
  return r.zxid;
}

/**
 * Sends a request that must be refused with `want`: checks the error body and
 * that nothing was spent (the refusal's own ZK-Zxid and a following read's
 * equal the zxid before it).
 */
async function refused(svc: Svc, method: string, path: string, init: Init, want: Want): Promise<Reply> {
  const before = await currentZxid(svc);
  const r = await svc.call(method, path, init);
  const label = `${method} ${path} ${JSON.stringify(init ?? {}).slice(0, 200)}`;
  expect({ status: r.status, code: r.body?.code, zkCode: r.body?.zkCode }, label).toEqual(want);
  expect(typeof r.body.message, label).toBe("string");
  expect(r.body.message.length, label).toBeGreaterThan(0);
  expect(r.zxid, `${label}: the refusal's ZK-Zxid`).toBe(before);
  expect(await currentZxid(svc), `${label}: no zxid spent`).toBe(before);
  return r;
}

const bytes = (s: string) => new TextEncoder().encode(s);
const octets = { "content-type": "application/octet-stream" };

// Paths that ZooKeeper 3.8's PathUtils.validatePath refuses, as they appear in a URL.
const BAD_PATHS: [string, string][] = [
  ["empty segment", "/a//b"],
  ["empty first segment", "//a"],
  ["empty segment after decoding", "/a%2F%2Fb"],
  ["trailing /", "/a/"],
  ["trailing / after decoding", "/a%2F"],
  ["'.' after decoding", "/a%2F."],
  ["'..' after decoding", "/a%2F.."],
  ["'..' in the middle after decoding", "/a%2F..%2Fb"],
  ["'.' in the middle after decoding", "/a%2F.%2Fb"],
  ["'..' first after decoding", "/..%2Fa"],
  ["'%2E%2E' after decoding", "/a/%2E%2E%2Fb"],
  ["%00", "/a%00b"],
  ["U+0001 percent-encoded", "/a%01b"],
  ["U+0001 raw", "/a\u0001b"],
  ["U+001F", "/a%1Fb"],
  ["U+007F", "/a%7Fb"],
  ["U+007F raw", "/a\u007fb"],
  ["U+0080", "/a%C2%80b"],
  ["U+009F", "/a%C2%9Fb"],
  ["U+E000", "/a%EE%80%80b"],
  ["U+E000 raw", "/a\ue000b"],
  ["U+F8FF", "/a%EF%A3%BFb"],
  ["U+FFF0", "/a%EF%BF%B0b"],
  ["U+FFFF", "/a%EF%BF%BF"],
  ["emoji (outside the BMP)", "/a%F0%9F%98%80"],
  ["emoji raw (outside the BMP)", "/a\u{1F600}"],
  ["malformed percent escape %ZZ", "/a%ZZ"],
  ["lone %", "/a%"],
  ["truncated escape", "/a%4"],
  ["invalid UTF-8 %C3%28", "/a%C3%28"],
  ["truncated UTF-8 sequence", "/a%E2%82"],
  ["encoded surrogate (CESU-8)", "/a%ED%A0%80"],
  ["byte FF", "/a%FF"],
];

// Characters at the edges of the refused ranges that ZooKeeper accepts.
const GOOD_NAMES = ["sp%20ace", "%C2%A0", "%ED%9F%BF", "%EF%A4%80", "%EF%BF%AF", "~", "...", ".a", "a.", "a..b"];

describe.each(TRANSPORTS)("validation over %s", (transport) => {
  let svc: Svc;
  let small: Svc;
  beforeAll(() => {
    svc = service(etcd.client(transport));
    small = service(etcd.client(transport), { ZK_MAX_DATA_BYTES: "1000" });
  });

  describe("paths", () => {
    test.each(BAD_PATHS)("GET of a path with %s is 400 BADARGUMENTS", async (_why, p) => {
      await refused(svc, "GET", `/v1/znodes${p}`, {}, BAD);
    });

    test.each(BAD_PATHS)("POST, PUT, DELETE of a path with %s are 400 and spend nothing", async (_why, p) => {
      if (p.endsWith("/") || p.endsWith("%2F")) {
        // A trailing / is a sequential create's prefix: refused for the other modes.
        await refused(svc, "POST", `/v1/znodes${p}`, { json: { mode: "persistent" } }, BAD);
      } else {
        // ZooKeeper validates a sequential prefix as if a digit followed: "/a/." names "/a/.0000000000".
        if (!/%2F\.{1,2}$/.test(p)) await refused(svc, "POST", `/v1/znodes${p}`, { json: { mode: "persistent_sequential" } }, BAD);
        await refused(svc, "POST", `/v1/znodes${p}`, { json: {} }, BAD);
      }
      await refused(svc, "PUT", `/v1/znodes${p}`, { json: { data: b64("x") } }, BAD);
      await refused(svc, "DELETE", `/v1/znodes${p}`, {}, BAD);
    });

    test.each(BAD_PATHS)("ACL and sync routes refuse a path with %s", async (_why, p) => {
      await refused(svc, "GET", `/v1/acl${p}`, {}, BAD);
      await refused(svc, "PUT", `/v1/acl${p}`, { json: { acl: [{ perms: "cdrwa", scheme: "world", id: "anyone" }] } }, BAD);
      await refused(svc, "POST", `/v1/sync${p}`, {}, BAD);
    });

    test("HEAD of a bad path is 400 with no body and spends nothing", async () => {
      const before = await currentZxid(svc);
      const r = await svc.call("HEAD", "/v1/znodes/a//b");
      expect(r.status).toBe(400);
      expect(r.zxid).toBe(before);
      expect(await currentZxid(svc)).toBe(before);
    });

    test("the path error names the decoded path", async () => {
      const r = await refused(svc, "GET", "/v1/znodes/a%2F..", {}, BAD);
      expect(r.body.path).toBe("/a/..");
    });

    test("dot segments in the URL itself are resolved before routing", async () => {
      await svc.call("POST", "/v1/znodes/dots", { json: {} });
      const r = await svc.call("GET", "/v1/znodes/x/%2e%2e/dots");
      expect(r.status).toBe(200);
      expect(r.body.path).toBe("/dots");
      expect((await svc.call("GET", "/v1/znodes/x/./../dots")).body.path).toBe("/dots");
      // "dots/./" resolves to "dots/": a trailing / the path rules refuse.
      await refused(svc, "GET", "/v1/znodes/dots/./", {}, BAD);
    });

    test.each(GOOD_NAMES)("a name %s at the edge of the refused ranges is accepted", async (name) => {
      const decoded = decodeURIComponent(name);
      const created = await svc.call("POST", `/v1/znodes/good-${name}`, { json: {} });
      expect(created.status).toBe(201);
      expect(created.body.path).toBe(`/good-${decoded}`);
      const got = await svc.call("GET", `/v1/znodes/good-${name}`);
      expect(got.status).toBe(200);
      expect(got.body.path).toBe(`/good-${decoded}`);
    });

    test("the root is /v1/znodes and /v1/znodes/", async () => {
      expect((await svc.call("GET", "/v1/znodes")).body.path).toBe("/");
      expect((await svc.call("GET", "/v1/znodes/")).body.path).toBe("/");
    });

    test("a bad path anywhere in a multi is 400: BADARGUMENTS at that op, RUNTIMEINCONSISTENCY at the others", async () => {
      const r = await refused(
        svc,
        "POST",
        "/v1/multi",
        { json: { ops: [{ op: "create", path: "/m-ok" }, { op: "create", path: "/m-ok/a//b" }, { op: "check", path: "/", version: -1 }] } },
        BAD,
      );
      expect(r.body.results).toEqual([{ code: "RUNTIMEINCONSISTENCY" }, { code: "BADARGUMENTS" }, { code: "RUNTIMEINCONSISTENCY" }]);
      expect((await svc.call("GET", "/v1/znodes/m-ok")).status).toBe(404);
      for (const path of ["/a/", "/a/..", "/a\u0000", "/a\ue000", "a", ""]) {
        await refused(svc, "POST", "/v1/multi", { json: { ops: [{ op: "delete", path }] } }, BAD);
      }
    });

    test("a bad path in a multi read is 400", async () => {
      await refused(svc, "POST", "/v1/multi/read", { json: { ops: [{ op: "getData", path: "/" }, { op: "getChildren", path: "/a//b" }] } }, BAD);
    });

    test("an unknown op in a multi or multi read is 400", async () => {
      await refused(svc, "POST", "/v1/multi", { json: { ops: [{ op: "create", path: "/u1" }, { op: "frobnicate", path: "/u2" }] } }, BAD);
      await refused(svc, "POST", "/v1/multi/read", { json: { ops: [{ op: "setData", path: "/" }] } }, BAD);
      expect((await svc.call("GET", "/v1/znodes/u1")).status).toBe(404);
    });
  });

  describe("sessions named by a request", () => {
    test.each(["abc", "-1", "9223372036854775808", "99999999999999999999", "1.5", "0x10", "+5", "1e3"])(
      "ZK-Session: %s is 400",
      async (id) => {
        await refused(svc, "GET", "/v1/znodes/", { headers: { "zk-session": id } }, BAD);
        await refused(svc, "POST", "/v1/znodes/sess-bad", { json: {}, headers: { "zk-session": id } }, BAD);
      },
    );

    test.each(["abc", "-1", "9223372036854775808"])("?session=%s is 400", async (id) => {
      await refused(svc, "GET", `/v1/znodes/?session=${id}`, {}, BAD);
    });

    test("a session id in the URL that is not a decimal int64 ≥ 0 is 400", async () => {
      for (const id of ["abc", "-1", "9223372036854775808"]) {
        await refused(svc, "GET", `/v1/sessions/${id}`, {}, BAD);
        await refused(svc, "POST", `/v1/sessions/${id}/ping`, {}, BAD);
        await refused(svc, "DELETE", `/v1/sessions/${id}`, {}, BAD);
      }
    });

    test("the largest int64 is a well-formed id: not live, 410, nothing spent", async () => {
      await refused(svc, "GET", "/v1/znodes/", { headers: { "zk-session": "9223372036854775807" } }, EXPIRED);
      await refused(svc, "GET", "/v1/znodes/?session=9223372036854775807", {}, EXPIRED);
    });

    test("?session= names the session as ZK-Session does", async () => {
      const s = await svc.call("POST", "/v1/sessions", { json: { timeoutMs: 20_000 } });
      expect(s.status).toBe(201);
      const created = await svc.call("POST", `/v1/znodes/eph-q?session=${s.body.id}`, { json: { mode: "ephemeral" } });
      expect(created.status).toBe(201);
      expect(created.body.stat.ephemeralOwner).toBe(s.body.id);
      const info = await svc.call("GET", `/v1/sessions/${s.body.id}`);
      expect(info.body.ephemerals).toEqual(["/eph-q"]);
      await svc.call("DELETE", `/v1/sessions/${s.body.id}`);
    });

    test("?session= given twice is 400 (a known query parameter given twice)", async () => {
      await refused(svc, "GET", "/v1/znodes/?session=1&session=1", {}, BAD);
    });

    test("ephemeral modes without a session are 400", async () => {
      await refused(svc, "POST", "/v1/znodes/eph-none", { json: { mode: "ephemeral" } }, BAD);
      await refused(svc, "POST", "/v1/znodes/eph-none-", { json: { mode: "ephemeral_sequential" } }, BAD);
      await refused(svc, "POST", "/v1/znodes/eph-none?mode=ephemeral", {}, BAD);
      await refused(svc, "POST", "/v1/multi", { json: { ops: [{ op: "create", path: "/eph-none", mode: "ephemeral" }] } }, BAD);
    });
  });

  describe("query parameters", () => {
    test.each([
      ["GET", "/v1/znodes/?view=bogus"],
      ["GET", "/v1/znodes/?view="],
      ["GET", "/v1/znodes/?view=Children"],
      ["GET", "/v1/znodes/?encoding=hex"],
      ["GET", "/v1/znodes/?encoding=UTF8"],
      ["GET", "/v1/znodes/?view=children&view=children"],
      ["GET", "/v1/znodes/?view=children&view=stat"],
      ["GET", "/v1/znodes/?encoding=utf8&encoding=utf8"],
      ["POST", "/v1/znodes/qp?mode=bogus"],
      ["POST", "/v1/znodes/qp?mode=PERSISTENT"],
      ["POST", "/v1/znodes/qp?mode=persistent&mode=persistent"],
      ["POST", "/v1/znodes/qp?ttlMs=abc"],
      ["POST", "/v1/znodes/qp?ttlMs=-1"],
      ["PUT", "/v1/znodes/?version=2147483648"],
      ["PUT", "/v1/znodes/?version=-2147483649"],
      ["PUT", "/v1/znodes/?version=abc"],
      ["PUT", "/v1/znodes/?version=1.0"],
      ["PUT", "/v1/znodes/?version="],
      ["PUT", "/v1/znodes/?version=0x1"],
      ["PUT", "/v1/znodes/?version=1&version=1"],
      ["DELETE", "/v1/znodes/qp?version=2147483648"],
      ["DELETE", "/v1/znodes/qp?version=abc"],
      ["PUT", "/v1/acl/?aversion=2147483648"],
      ["PUT", "/v1/acl/?aversion=abc"],
      ["POST", "/v1/multi?encoding=hex"],
      ["POST", "/v1/multi/read?encoding=hex"],
    ])("%s %s is 400", async (method, path) => {
      const init: Init =
        method === "PUT" && path.startsWith("/v1/acl")
          ? { json: { acl: [{ perms: "cdrwa", scheme: "world", id: "anyone" }] } }
          : method === "POST" && path.startsWith("/v1/multi")
            ? { json: { ops: [] } }
            : method === "GET" || method === "DELETE"
              ? {}
              : { json: {} };
      await refused(svc, method, path, init, BAD);
    });

    test.each(['"2147483648"', "abc", '"1.5"', '"x"'])("If-Match: %s is 400", async (v) => {
      await refused(svc, "PUT", "/v1/znodes/", { json: {}, headers: { "if-match": v } }, BAD);
      await refused(svc, "DELETE", "/v1/znodes/ifm", { headers: { "if-match": v } }, BAD);
    });

    test("?version= and If-Match that differ are 400, and the message names both places", async () => {
      const r = await refused(svc, "PUT", "/v1/znodes/?version=1", { json: {}, headers: { "if-match": '"2"' } }, BAD);
      expect(r.body.message).toMatch(/in the query and 2 in If-Match/);
    });

    test("unknown query parameters are ignored, even repeated", async () => {
      const r = await svc.call("GET", "/v1/znodes/?foo=1&foo=2&bar");
      expect(r.status).toBe(200);
      expect(r.body.path).toBe("/");
    });

    test("int32 extremes are valid versions: they fail on the tree (BADVERSION), spending a zxid", async () => {
      await svc.call("POST", "/v1/znodes/vmax", { json: {} });
      const before = await currentZxid(svc);
      const r = await svc.call("PUT", "/v1/znodes/vmax?version=2147483647", { json: {} });
      expect(r.status).toBe(412);
      expect(r.body.code).toBe("BADVERSION");
      expect(await currentZxid(svc)).toBe(before + 1n);
      const r2 = await svc.call("PUT", "/v1/znodes/vmax?version=-2147483648", { json: {} });
      expect(r2.status).toBe(412);
    });
  });

  describe("JSON bodies", () => {
    test.each(["[]", "1", '"x"', "null", "true", '[{"data":""}]'])("a create body %s that is not an object is 400", async (text) => {
      await refused(svc, "POST", "/v1/znodes/nobj", { body: text, headers: { "content-type": "application/json" } }, BAD);
      await refused(svc, "PUT", "/v1/znodes/", { body: text, headers: { "content-type": "application/json" } }, BAD);
      await refused(svc, "PUT", "/v1/acl/", { body: text, headers: { "content-type": "application/json" } }, BAD);
      await refused(svc, "POST", "/v1/multi", { body: text, headers: { "content-type": "application/json" } }, BAD);
      await refused(svc, "POST", "/v1/multi/read", { body: text, headers: { "content-type": "application/json" } }, BAD);
      await refused(svc, "POST", "/v1/sessions", { body: text, headers: { "content-type": "application/json" } }, BAD);
    });

    test.each(["{", "{'a':1}", '{"data":}', "{}x", '{"data":"eA=="', "\u00ff"])("malformed JSON %s is 400", async (text) => {
      await refused(svc, "POST", "/v1/znodes/malformed", { body: text, headers: { "content-type": "application/json" } }, BAD);
      await refused(svc, "POST", "/v1/multi", { body: text, headers: { "content-type": "application/json" } }, BAD);
      await refused(svc, "POST", "/v1/sessions", { body: text, headers: { "content-type": "application/json" } }, BAD);
    });

    test("a JSON body that is not UTF-8 is 400", async () => {
      await refused(svc, "POST", "/v1/znodes/notutf8", { body: new Uint8Array([0x7b, 0xff, 0x7d]), headers: { "content-type": "application/json" } }, BAD);
    });

    test("a body without Content-Type is read as JSON", async () => {
      const created = await svc.call("POST", "/v1/znodes/no-ct", { body: bytes(JSON.stringify({ data: b64("raw json") })) });
      expect(created.status).toBe(201);
      expect(unb64((await svc.call("GET", "/v1/znodes/no-ct")).body.data)).toBe("raw json");
      await refused(svc, "POST", "/v1/znodes/no-ct2", { body: bytes("{") }, BAD);
      await refused(svc, "POST", "/v1/znodes/no-ct2", { body: bytes("[]") }, BAD);
    });

    test("int32 and integer fields given as strings or fractions are 400", async () => {
      await refused(svc, "POST", "/v1/multi", { json: { ops: [{ op: "check", path: "/", version: "0" }] } }, BAD);
      await refused(svc, "POST", "/v1/multi", { json: { ops: [{ op: "check", path: "/", version: 0.5 }] } }, BAD);
      await refused(svc, "POST", "/v1/multi", { json: { ops: [{ op: "check", path: "/", version: 2147483648 }] } }, BAD);
      await refused(svc, "POST", "/v1/multi", { json: { ops: [{ op: "setData", path: "/", version: "-1" }] } }, BAD);
      await refused(svc, "POST", "/v1/multi", { json: { ops: [{ op: "delete", path: "/x", version: true }] } }, BAD);
      await refused(svc, "POST", "/v1/sessions", { json: { timeoutMs: "10000" } }, BAD);
      await refused(svc, "POST", "/v1/sessions", { json: { timeoutMs: 1.5 } }, BAD);
      await refused(svc, "POST", "/v1/znodes/ttl-s", { json: { mode: "persistent_with_ttl", ttlMs: "1000" } }, BAD);
    });

    test("other fields of the wrong type are 400", async () => {
      await refused(svc, "POST", "/v1/znodes/wt", { json: { data: 5 } }, BAD);
      await refused(svc, "POST", "/v1/znodes/wt", { json: { mode: 1 } }, BAD);
      await refused(svc, "POST", "/v1/znodes/wt", { json: { mode: "bogus" } }, BAD);
      await refused(svc, "POST", "/v1/znodes/wt", { json: { acl: {} } }, BAD);
      await refused(svc, "POST", "/v1/znodes/wt", { json: { acl: [{ perms: "x", scheme: "world", id: "anyone" }] } }, BAD);
      await refused(svc, "POST", "/v1/znodes/wt", { json: { acl: [{ perms: "rr", scheme: "world", id: "anyone" }] } }, BAD);
      await refused(svc, "POST", "/v1/znodes/wt", { json: { acl: [{ perms: "r", scheme: "world" }] } }, BAD);
      await refused(svc, "PUT", "/v1/znodes/", { json: { data: [] } }, BAD);
      await refused(svc, "PUT", "/v1/acl/", { json: {} }, BAD);
      await refused(svc, "POST", "/v1/multi", { json: {} }, BAD);
      await refused(svc, "POST", "/v1/multi", { json: { ops: {} } }, BAD);
      await refused(svc, "POST", "/v1/multi", { json: { ops: [{ path: "/x" }] } }, BAD);
    });

    test.each([
      ["a character outside the alphabet", "abc!"],
      ["URL-safe alphabet", "-_8="],
      ["a space", "aGVs bG8="],
      ["a newline", "aGVsbG8=\n"],
      ["a length of 4n+1", "aGVsb"],
      ["too much padding", "aGVsbG8=="],
      ["padding in the middle", "aG=sbG8="],
      ["incomplete padding", "aGVsbA="],
    ])("data in base64 with %s is 400", async (_why, data) => {
      await refused(svc, "POST", "/v1/znodes/b64", { json: { data } }, BAD);
      await refused(svc, "PUT", "/v1/znodes/", { json: { data } }, BAD);
      await refused(svc, "POST", "/v1/multi", { json: { ops: [{ op: "create", path: "/b64", data }] } }, BAD);
    });

    test("base64 padding is optional", async () => {
      const r = await svc.call("POST", "/v1/znodes/nopad", { json: { data: "aGVsbG8" } });
      expect(r.status).toBe(201);
      expect(r.body.stat.dataLength).toBe(5);
      expect(unb64((await svc.call("GET", "/v1/znodes/nopad")).body.data)).toBe("hello");
    });

    test("JSON null means absent", async () => {
      const r = await svc.call("POST", "/v1/znodes/nulls", { json: { data: null, mode: null, acl: null, ttlMs: null } });
      expect(r.status).toBe(201);
      expect(r.body.path).toBe("/nulls");
      expect(r.body.stat).toMatchObject({ dataLength: 0, ephemeralOwner: "0", version: 0 });
      const acl = await svc.call("GET", "/v1/acl/nulls");
      expect(acl.body.acl).toEqual([{ perms: "cdrwa", scheme: "world", id: "anyone" }]);
      const set = await svc.call("PUT", "/v1/znodes/nulls", { json: { data: null } });
      expect(set.status).toBe(200);
      expect(set.body.stat).toMatchObject({ version: 1, dataLength: 0 });
      const m = await svc.call("POST", "/v1/multi", {
        json: { ops: [{ op: "check", path: "/nulls", version: null }, { op: "create", path: "/nulls/c", data: null, mode: null, acl: null, ttlMs: null }] },
      });
      expect(m.status).toBe(200);
      const s = await svc.call("POST", "/v1/sessions", { json: { timeoutMs: null } });
      expect(s.status).toBe(201);
      await svc.call("DELETE", `/v1/sessions/${s.body.id}`);
    });

    test("unknown fields are ignored", async () => {
      const r = await svc.call("POST", "/v1/znodes/unknown", { json: { data: b64("u"), bogus: 1, nested: { a: [1] } } });
      expect(r.status).toBe(201);
      expect((await svc.call("PUT", "/v1/znodes/unknown", { json: { data: b64("v"), version: "not looked at" } })).status).toBe(200);
      const m = await svc.call("POST", "/v1/multi", { json: { ops: [{ op: "check", path: "/unknown", version: 1, extra: true }], extra: 1 } });
      expect(m.status).toBe(200);
    });

    test("Content-Type with parameters is still JSON", async () => {
      const r = await svc.call("POST", "/v1/znodes/ct-param", { body: JSON.stringify({ data: b64("p") }), headers: { "content-type": "application/json; charset=utf-8" } });
      expect(r.status).toBe(201);
    });
  });

  describe("media types", () => {
    test.each(["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml", "text/json"])(
      "Content-Type %s is 415",
      async (type) => {
        await refused(svc, "POST", "/v1/znodes/ct", { body: "{}", headers: { "content-type": type } }, MEDIA);
        await refused(svc, "PUT", "/v1/znodes/", { body: "{}", headers: { "content-type": type } }, MEDIA);
        await refused(svc, "POST", "/v1/multi", { body: '{"ops":[]}', headers: { "content-type": type } }, MEDIA);
        await refused(svc, "POST", "/v1/sessions", { body: "{}", headers: { "content-type": type } }, MEDIA);
      },
    );

    test("raw bytes are only for create and set", async () => {
      await refused(svc, "PUT", "/v1/acl/", { body: "{}", headers: octets }, MEDIA);
      await refused(svc, "POST", "/v1/multi", { body: '{"ops":[]}', headers: octets }, MEDIA);
      await refused(svc, "POST", "/v1/multi/read", { body: '{"ops":[]}', headers: octets }, MEDIA);
      await refused(svc, "POST", "/v1/sessions", { body: "{}", headers: octets }, MEDIA);
    });

    test.each(["gzip", "deflate", "br"])("Content-Encoding: %s is 415", async (enc) => {
      await refused(svc, "POST", "/v1/znodes/enc", { json: {}, headers: { "content-encoding": enc } }, MEDIA);
      await refused(svc, "PUT", "/v1/znodes/", { body: "x", headers: { ...octets, "content-encoding": enc } }, MEDIA);
      await refused(svc, "POST", "/v1/multi", { json: { ops: [] }, headers: { "content-encoding": enc } }, MEDIA);
    });

    test("raw octet-stream bodies are stored as they are", async () => {
      const data = new Uint8Array([0, 1, 2, 0xff, 0xfe]);
      const r = await svc.call("POST", "/v1/znodes/raw", { body: data, headers: octets });
      expect(r.status).toBe(201);
      expect(r.body.stat.dataLength).toBe(5);
      const got = await svc.call("GET", "/v1/znodes/raw");
      expect([...Buffer.from(got.body.data, "base64")]).toEqual([...data]);
    });
  });

  describe("sizes", () => {
    const json1001 = () => ({ data: Buffer.alloc(1001, 7).toString("base64") });
    const json1000 = () => ({ data: Buffer.alloc(1000, 7).toString("base64") });

    test("data at the limit is accepted, one byte over is 413", async () => {
      expect((await small.call("POST", "/v1/znodes/limit", { json: json1000() })).status).toBe(201);
      await refused(small, "POST", "/v1/znodes/over", { json: json1001() }, TOOLARGE);
      await refused(small, "PUT", "/v1/znodes/limit", { json: json1001() }, TOOLARGE);
      expect((await small.call("PUT", "/v1/znodes/limit", { json: json1000() })).status).toBe(200);
      expect((await small.call("GET", "/v1/znodes/over")).status).toBe(404);
    });

    test("raw octet-stream data over the limit is 413", async () => {
      expect((await small.call("POST", "/v1/znodes/rawlimit", { body: new Uint8Array(1000), headers: octets })).status).toBe(201);
      await refused(small, "POST", "/v1/znodes/rawover", { body: new Uint8Array(1001), headers: octets }, TOOLARGE);
      await refused(small, "PUT", "/v1/znodes/rawlimit", { body: new Uint8Array(1001), headers: octets }, TOOLARGE);
    });

    test("utf8 data over the limit is 413", async () => {
      await refused(small, "POST", "/v1/znodes/utf8over?encoding=utf8", { json: { data: "é".repeat(501) } }, TOOLARGE);
    });

    test("a multi whose data together exceed the limit is 413", async () => {
      const d = Buffer.alloc(600, 1).toString("base64");
      await refused(small, "POST", "/v1/multi", { json: { ops: [{ op: "create", path: "/m1", data: d }, { op: "create", path: "/m2", data: d }] } }, TOOLARGE);
      expect((await small.call("GET", "/v1/znodes/m1")).status).toBe(404);
    });

    test("a Content-Length over what such data needs is 413 before the body is read", async () => {
      for (const type of ["application/json", "application/octet-stream"]) {
        await refused(small, "POST", "/v1/znodes/cl", { body: "{}", headers: { "content-type": type, "content-length": "100000000" } }, TOOLARGE);
        await refused(small, "PUT", "/v1/znodes/", { body: "{}", headers: { "content-type": type, "content-length": "100000000" } }, TOOLARGE);
      }
    });

    test("a body larger than such data needs, without Content-Length, is 413", async () => {
      const big = new Uint8Array(256 * 1024).fill(0x20);
      await refused(small, "POST", "/v1/znodes/huge", { body: big, headers: octets }, TOOLARGE);
      await refused(small, "POST", "/v1/znodes/huge", { body: big, headers: { "content-type": "application/json" } }, TOOLARGE);
    });
  });

  describe("encodings", () => {
    test("?encoding=utf8 on non-UTF-8 data is 400; base64 still reads it", async () => {
      await svc.call("POST", "/v1/znodes/binary", { body: new Uint8Array([0xff, 0xfe, 0x00, 0xc3]), headers: octets });
      await refused(svc, "GET", "/v1/znodes/binary?encoding=utf8", {}, BAD);
      const r = await svc.call("GET", "/v1/znodes/binary");
      expect(r.status).toBe(200);
      expect([...Buffer.from(r.body.data, "base64")]).toEqual([0xff, 0xfe, 0x00, 0xc3]);
    });

    test("?encoding=utf8 writes and reads strings", async () => {
      const created = await svc.call("POST", "/v1/znodes/text?encoding=utf8", { json: { data: "héllo ☃" } });
      expect(created.status).toBe(201);
      expect(created.body.stat.dataLength).toBe(Buffer.byteLength("héllo ☃"));
      expect((await svc.call("GET", "/v1/znodes/text?encoding=utf8")).body.data).toBe("héllo ☃");
      expect(unb64((await svc.call("GET", "/v1/znodes/text")).body.data)).toBe("héllo ☃");
    });
  });

  describe("create modes", () => {
    test("a sequential create names its parent with a trailing /", async () => {
      const fresh = service(etcd.client(transport));
      expect((await fresh.call("POST", "/v1/znodes/q", { json: {} })).status).toBe(201);
      const r = await fresh.call("POST", "/v1/znodes/q/", { json: { mode: "persistent_sequential" } });
      expect(r.status).toBe(201);
      expect(r.body.path).toBe("/q/0000000000");
      expect(r.headers.get("location")).toBe("/v1/znodes/q/0000000000");
      const r2 = await fresh.call("POST", "/v1/znodes/q/?mode=persistent_sequential", {});
      expect(r2.body.path).toBe("/q/0000000001");
      expect((await fresh.call("GET", "/v1/znodes/q?view=children")).body.children).toEqual(["0000000000", "0000000001"]);
    });

    test("a trailing / on a non-sequential create is 400", async () => {
      await svc.call("POST", "/v1/znodes/tq", { json: {} });
      for (const mode of ["persistent", "ephemeral", "container", "persistent_with_ttl"]) {
        await refused(svc, "POST", "/v1/znodes/tq/", { json: { mode, ...(mode.includes("ttl") ? { ttlMs: 1000 } : {}) } }, BAD);
      }
      await refused(svc, "POST", "/v1/znodes/tq/", {}, BAD);
    });

    test.each([
      ["persistent_with_ttl", undefined],
      ["persistent_with_ttl", 0],
      ["persistent_with_ttl", -1],
      ["persistent_with_ttl", 2 ** 40],
      ["persistent_with_ttl", 1.5],
      ["persistent_sequential_with_ttl", undefined],
      ["persistent_sequential_with_ttl", 0],
      ["persistent", 5],
      ["persistent", -1],
      ["persistent_sequential", 1],
      ["container", 1],
    ])("mode %s with ttlMs %s is 400", async (mode, ttlMs) => {
      await refused(svc, "POST", "/v1/znodes/ttl-bad", { json: { mode, ttlMs } }, BAD);
      await refused(svc, "POST", "/v1/multi", { json: { ops: [{ op: "create", path: "/ttl-bad", mode, ttlMs }] } }, BAD);
    });

    test("ephemeral modes with a ttlMs are 400", async () => {
      const s = await svc.call("POST", "/v1/sessions", { json: { timeoutMs: 20_000 } });
      await refused(svc, "POST", "/v1/znodes/ttl-eph", { json: { mode: "ephemeral", ttlMs: 5 }, headers: { "zk-session": s.body.id } }, BAD);
      await svc.call("DELETE", `/v1/sessions/${s.body.id}`);
    });

    test("ttlMs in the query follows the same rules", async () => {
      await refused(svc, "POST", "/v1/znodes/ttlq?ttlMs=5", { json: {} }, BAD);
      await refused(svc, "POST", "/v1/znodes/ttlq?ttlMs=0&mode=persistent_with_ttl", {}, BAD);
      await refused(svc, "POST", `/v1/znodes/ttlq?ttlMs=${2 ** 40}&mode=persistent_with_ttl`, {}, BAD);
      await refused(svc, "POST", "/v1/znodes/ttlq?ttlMs=5", { json: { mode: "persistent_with_ttl", ttlMs: 6 } }, BAD);
      const r = await svc.call("POST", "/v1/znodes/ttlq?ttlMs=5", { json: { mode: "persistent_with_ttl", ttlMs: 5 } });
      expect(r.status).toBe(201);
    });

    test("ttlMs 1 and 2^40−1 are valid for the TTL modes; 0 is valid for the others", async () => {
      expect((await svc.call("POST", "/v1/znodes/ttl-min", { json: { mode: "persistent_with_ttl", ttlMs: 1 } })).status).toBe(201);
      expect((await svc.call("POST", "/v1/znodes/ttl-max", { json: { mode: "persistent_with_ttl", ttlMs: 2 ** 40 - 1 } })).status).toBe(201);
      expect((await svc.call("POST", "/v1/znodes/ttl-seq-", { json: { mode: "persistent_sequential_with_ttl", ttlMs: 60_000 } })).status).toBe(201);
      expect((await svc.call("POST", "/v1/znodes/ttl-zero", { json: { mode: "persistent", ttlMs: 0 } })).status).toBe(201);
      expect((await svc.call("POST", "/v1/znodes/ttl-zero-q?ttlMs=0", {})).status).toBe(201);
    });

    test("a mode given in the query and the body differently is 400; the same is fine", async () => {
      await refused(svc, "POST", "/v1/znodes/both?mode=persistent", { json: { mode: "persistent_sequential" } }, BAD);
      await refused(svc, "POST", "/v1/znodes/both?mode=container", { json: { mode: "persistent" } }, BAD);
      const r = await svc.call("POST", "/v1/znodes/both?mode=container", { json: { mode: "container" } });
      expect(r.status).toBe(201);
    });

    test("?mode= stands in for the body field with a raw body", async () => {
      const r = await svc.call("POST", "/v1/znodes/rawseq-?mode=persistent_sequential", { body: bytes("x"), headers: octets });
      expect(r.status).toBe(201);
      expect(r.body.path).toMatch(/^\/rawseq-\d{10}$/);
    });

    test("an empty ACL list is INVALIDACL and spends nothing", async () => {
      await refused(svc, "POST", "/v1/znodes/emptyacl", { json: { acl: [] } }, INVALIDACL);
      await refused(svc, "PUT", "/v1/acl/", { json: { acl: [] } }, INVALIDACL);
      // In a multi ZooKeeper's client does not check ACLs: see acl.test.ts.
    });
  });

  describe("the order of checks", () => {
    test("route and method come before the session", async () => {
      await refused(svc, "GET", "/v1/nope", { headers: { "zk-session": "abc" } }, NOTFOUND);
      await refused(svc, "PATCH", "/v1/znodes/a", { headers: { "zk-session": "abc" } }, NOTALLOWED);
    });

    test("a session that is not live comes before path, query and body", async () => {
      const dead = { "zk-session": "123456789" };
      await refused(svc, "GET", "/v1/znodes/a//b", { headers: dead }, EXPIRED);
      await refused(svc, "GET", "/v1/znodes/?view=bogus", { headers: dead }, EXPIRED);
      await refused(svc, "POST", "/v1/znodes/x", { body: "{", headers: { ...dead, "content-type": "application/json" } }, EXPIRED);
      await refused(svc, "POST", "/v1/znodes/x", { json: {}, headers: { ...dead, "content-type": "text/plain" } }, EXPIRED);
    });

    test("path before query", async () => {
      const r = await refused(svc, "GET", "/v1/znodes/a//b?view=bogus", {}, BAD);
      expect(r.body.path).toBe("/a//b");
    });

    test("query before body size, body size before body", async () => {
      const r = await refused(small, "PUT", "/v1/znodes/?version=abc", { body: "{", headers: { "content-type": "application/json", "content-length": "100000000" } }, BAD);
      expect(r.body.message).toMatch(/version/);
      await refused(small, "PUT", "/v1/znodes/", { body: "{", headers: { "content-type": "application/json", "content-length": "100000000" } }, TOOLARGE);
    });
  });

  describe("every response carries ZK-Zxid", () => {
    test("errors, /healthz, /openapi.json and /docs carry a ZK-Zxid", async () => {
      for (const [m, p] of [
        ["GET", "/healthz"],
        ["GET", "/openapi.json"],
        ["GET", "/docs"],
        ["GET", "/nope"],
        ["GET", "/v1/nope"],
        ["DELETE", "/healthz"],
        ["GET", "/v1/znodes/missing"],
        ["HEAD", "/v1/znodes/missing"],
        ["GET", "/v1/stats"],
      ]) {
        const r = await svc.call(m!, p!); // throws without the header
        expect(typeof r.zxid, `${m} ${p}`).toBe("bigint");
      }
    });

    test("an unknown route is 404 NOTFOUND; another method 405 with Allow", async () => {
      await refused(svc, "GET", "/v1/nope", {}, NOTFOUND);
      await refused(svc, "GET", "/v2/znodes/", {}, NOTFOUND);
      const r = await refused(svc, "PATCH", "/v1/znodes/", {}, NOTALLOWED);
      expect(r.headers.get("allow")).toMatch(/GET/);
      await refused(svc, "PUT", "/v1/sessions", { json: {} }, NOTALLOWED);
      await refused(svc, "GET", "/v1/multi", {}, NOTALLOWED);
    });

    test("ZK-Zxid is the last zxid applied, also where no znode is read (/openapi.json, /docs)", async () => {
      await svc.call("POST", "/v1/znodes/zx", { json: {} });
      const now = await currentZxid(svc);
      expect(now).toBeGreaterThan(0n);
      for (const p of ["/healthz", "/openapi.json", "/docs", "/v1/stats", "/v1/nope"]) {
        expect((await svc.call("GET", p)).zxid, p).toBe(now);
      }
    });
  });

  describe("property: nothing a client sends is a 5xx", () => {
    const METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"];
    const PREFIXES = [
      "/v1/znodes",
      "/v1/znodes/",
      "/v1/acl/",
      "/v1/sync/",
      "/v1/watch/",
      "/v1/events/",
      "/v1/multi",
      "/v1/multi/read",
      "/v1/sessions",
      "/v1/sessions/",
      "/v1/stats",
      "/healthz",
      "/v1/",
      "/",
    ];
    const JUNK = ["%", "%2F", "%2f", "%00", "%ZZ", "%C3%28", "%E2%82", "%ED%A0%80", "%2e%2e", "%2E", "..", ".", "/", "//", "%F0%9F%98%80", "\u{1F600}", "\ue000", "\u0001", "\u007f", "\u0085", "\ufff0", "%20", "+", ";", "@", "\\", "~", "0000000001", "9223372036854775808", "-1", "ping"];
    const segment = fc.oneof(
      { weight: 2, arbitrary: fc.constantFrom(...JUNK) },
      { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
      { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 6 }) },
      { weight: 4, arbitrary: fc.constantFrom("a", "b", "c", "zookeeper", "quota", "config") },
    );
    const path = fc
      .tuple(fc.constantFrom(...PREFIXES), fc.array(fc.tuple(fc.constantFrom("/", ""), segment), { maxLength: 4 }))
      .map(([prefix, segs]) => prefix + segs.map(([sep, seg]) => sep + seg).join(""))
      .map((p) => p.replace(/[#?]/g, "_"));
    const queryValue = fc.oneof(fc.constantFrom("children", "stat", "data", "exists", "true", "utf8", "base64", "persistent", "ephemeral", "persistent_sequential", "persistent_with_ttl", "-1", "0", "1", "2147483648", "abc", "", "%", "%ZZ"), fc.string({ maxLength: 6 }));
    const query = fc
      .array(fc.tuple(fc.constantFrom("view", "encoding", "mode", "ttlMs", "version", "aversion", "session", "type", "zxid", "recursive", "foo"), queryValue), { maxLength: 4 })
      .map((pairs) => (pairs.length ? "?" + pairs.map(([k, v]) => `${k}=${v.replace(/[#&]/g, "_")}`).join("&") : ""));
    const jsonBody = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }),
      fc.record(
        {
          data: fc.oneof(fc.constant(b64("x")), fc.string({ maxLength: 8 }), fc.constant(null), fc.integer()),
          mode: fc.oneof(fc.constantFrom("persistent", "ephemeral", "persistent_sequential", "container", "persistent_with_ttl", "bogus"), fc.constant(null)),
          ttlMs: fc.oneof(fc.integer(), fc.constant(null), fc.constant("5")),
          acl: fc.oneof(
            fc.constant(null),
            fc.array(fc.record({ perms: fc.constantFrom("cdrwa", "r", "", "rr", "x"), scheme: fc.constantFrom("world", "auth", "digest", "ip", "foo"), id: fc.constantFrom("anyone", "", "a:b", "127.0.0.1", "10.0.0.0/8", "::1", "x") }), { maxLength: 3 }),
          ),
          timeoutMs: fc.oneof(fc.integer(), fc.constant("1000")),
          version: fc.oneof(fc.integer(), fc.constant("0"), fc.constant(null)),
          ops: fc.array(
            fc.record({ op: fc.constantFrom("create", "delete", "setData", "check", "getData", "getChildren", "bogus"), path: fc.constantFrom("/", "/a", "/a/", "//", "/zookeeper", "x"), version: fc.integer({ min: -2, max: 2 }) }),
            { maxLength: 3 },
          ),
        },
        { requiredKeys: [] },
      ),
    );
    const body = fc.oneof(
      { weight: 2, arbitrary: fc.constant(undefined) },
      { weight: 4, arbitrary: jsonBody.map((v) => JSON.stringify(v)) },
      { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
      { weight: 1, arbitrary: fc.uint8Array({ maxLength: 20 }) },
    );
    // Each header is absent most of the time, so that requests reach past the first checks.
    const headerValue = (values: string[]) => fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom(...values) });
    const headers = fc.record({
      "content-type": headerValue(["application/json", "application/octet-stream", "text/plain", "application/json; charset=utf-8", "", "x/y"]),
      "content-encoding": headerValue(["gzip", "identity"]),
      "zk-session": headerValue(["1", "abc", "-1", "9223372036854775807", "9223372036854775808", ""]),
      authorization: headerValue(["Basic !!!", "Basic " + b64("alice:pw"), "Basic " + b64("nocolon"), "Bearer x", "Basic", "Basic " + Buffer.from([0xff, 0x3a]).toString("base64")]),
      "if-match": headerValue(['"1"', "abc", '"2147483648"', "*"]),
      accept: headerValue(["application/octet-stream", "application/json", "*/*"]),
      "last-event-id": headerValue(["0", "-1", "x", "99999999999999999999"]),
    });

    test("random method × path × query × body × headers: status < 500, every 4xx a well-formed error", async () => {
      const seed = Number(process.env.FC_SEED ?? 20260601 + (transport === "grpc" ? 1 : 0));
      const seen = new Map<number, number>();
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...METHODS), path, query, body, headers, async (method, p, q, b, h) => {
          // Watch polls and event streams last up to timeoutMs: 1 ms keeps the property fast.
          const target = /^\/v1\/(watch|events)\//.test(p) ? `${p}${q || "?"}&timeoutMs=1` : p + q;
          const hs: Record<string, string> = {};
          for (const [k, v] of Object.entries(h)) if (v !== undefined) hs[k] = v;
          const sendsBody = b !== undefined && method !== "GET" && method !== "HEAD";
          const r = await svc.call(method, target, { body: sendsBody ? (b as BodyInit) : undefined, headers: hs });
          seen.set(r.status, (seen.get(r.status) ?? 0) + 1);
          const label = `${method} ${target} → ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`;
          expect(r.status, label).toBeLessThan(500);
          if (r.status >= 400 && method !== "HEAD") {
            expect(typeof r.body, label).toBe("object");
            expect(typeof r.body.code, label).toBe("string");
            expect(r.body.code.length, label).toBeGreaterThan(0);
            expect(typeof r.body.message, label).toBe("string");
            expect(r.body.message.length, label).toBeGreaterThan(0);
            expect(r.body.zkCode === null || typeof r.body.zkCode === "number", label).toBe(true);
          }
        }),
        { numRuns: Number(process.env.FC_RUNS ?? 200), seed },
      );
      // The generator reaches past the first checks: successes and many kinds of refusal.
      expect([...seen.keys()].filter((s) => s < 300).length, JSON.stringify([...seen])).toBeGreaterThan(0);
      expect(seen.size, JSON.stringify([...seen])).toBeGreaterThanOrEqual(6);
    }, 120_000);

    // Large multis and bodies at the edges of the limits (issue 14: a 10,000-op
    // multi once got a 500). The limits are scaled down so each run stays cheap.
    test("large multis and bodies near the limits: status < 500, every 4xx well formed", async () => {
      const MAX_OPS = 40;
      const MAX_BODY = 12_000;
      const MAX_DATA = 1_000;
      const edge = service(etcd.client(transport), { ZK_MAX_MULTI_OPS: String(MAX_OPS), ZK_MAX_BODY_BYTES: String(MAX_BODY), ZK_MAX_DATA_BYTES: String(MAX_DATA) });
      await edge.call("POST", "/v1/znodes/e");
      const dataArb = fc.constantFrom(0, 1, MAX_DATA - 1, MAX_DATA, MAX_DATA + 1).map((n) => Buffer.alloc(n, 7).toString("base64"));
      const pathArb = fc.constantFrom("/e/a", "/e/b", "/e/missing/x", "/missing/x", "/e", "/", "/e/", "bad");
      const op = fc.oneof(
        fc.record({ op: fc.constant("create"), path: pathArb, data: fc.option(dataArb, { nil: undefined }), mode: fc.constantFrom("persistent", "persistent_sequential", "container") }),
        fc.record({ op: fc.constantFrom("delete", "check"), path: pathArb, version: fc.integer({ min: -1, max: 2 }) }),
        fc.record({ op: fc.constant("setData"), path: pathArb, data: dataArb }),
      );
      const seen = new Map<number, number>();
      await fc.assert(
        fc.asyncProperty(
          fc.array(op, { minLength: 0, maxLength: MAX_OPS + 5 }),
          fc.constantFrom("none", "body-1", "body", "body+1"),
          fc.boolean(),
          async (ops, pad, read) => {
            let body = JSON.stringify(read ? { ops: ops.map((o) => ({ op: o.op === "setData" ? "getData" : "getChildren", path: o.path })) } : { ops });
            // JSON allows trailing whitespace: pad the body to one byte under, at, or over the limit.
            const target = pad === "body-1" ? MAX_BODY - 1 : pad === "body" ? MAX_BODY : pad === "body+1" ? MAX_BODY + 1 : 0;
            if (body.length < target) body += " ".repeat(target - body.length);
            const r = await edge.call("POST", read ? "/v1/multi/read" : "/v1/multi", { body, headers: { "content-type": "application/json" } });
            seen.set(r.status, (seen.get(r.status) ?? 0) + 1);
            const label = `${ops.length} ops, ${body.length} bytes → ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`;
            expect(r.status, label).toBeLessThan(500);
            if (r.status >= 400) {
              expect(typeof r.body.code, label).toBe("string");
              expect(r.body.message.length, label).toBeGreaterThan(0);
              expect(r.body.zkCode === null || typeof r.body.zkCode === "number", label).toBe(true);
            }
            if (body.length > MAX_BODY || ops.length > MAX_OPS) expect(r.status, label).toBe(413);
          },
        ),
        { numRuns: Number(process.env.FC_RUNS_LARGE ?? 60), seed: Number(process.env.FC_SEED ?? 20261207 + (transport === "grpc" ? 1 : 0)) },
      );
      expect(seen.has(200) && seen.has(413) && [...seen.keys()].some((s) => s === 409 || s === 404 || s === 400), JSON.stringify([...seen])).toBe(true);
    }, 120_000);
  });
});
