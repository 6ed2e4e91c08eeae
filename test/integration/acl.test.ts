// ACLs and authentication over both transports, as docs/api.md describes them and
// as ZooKeeper 3.8 behaves (checked against a real 3.8.0): which permission each
// op needs, what getACL shows, the auth/digest/ip schemes, HTTP Basic
// credentials, and which failures spend a zxid.
import { createHash } from "node:crypto";
import { beforeAll, describe, expect, test } from "vitest";
import { etcdPerFile } from "../support/suite.js";
import { b64, service, TRANSPORTS, unb64, type Reply } from "../support/service.js";

const etcd = etcdPerFile();

type Svc = ReturnType<typeof service>;
type Headers = Record<string, string>;

const basic = (user: string, password: string): Headers => ({ authorization: "Basic " + Buffer.from(`${user}:${password}`).toString("base64") });
/** ZooKeeper's digest id, computed independently of lib/acl.ts. */
const digest = (user: string, password: string) => `${user}:${createHash("sha1").update(`${user}:${password}`).digest("base64")}`;

const ALICE = basic("alice", "pw1");
const BOB = basic("bob", "pw2");
const ANON: Headers = {};

const acl = (perms: string, scheme: string, id: string) => ({ perms, scheme, id });
const WORLD_ALL = acl("cdrwa", "world", "anyone");
const aliceOnly = () => [acl("cdrwa", "digest", digest("alice", "pw1"))];

const NOAUTH = { status: 403, code: "NOAUTH", zkCode: -102 };
const INVALIDACL = { status: 400, code: "INVALIDACL", zkCode: -114 };
const AUTHFAILED = { status: 401, code: "AUTHFAILED", zkCode: -115 };
const BADVERSION = { status: 412, code: "BADVERSION", zkCode: -103 };
const BADARGS = { status: 400, code: "BADARGUMENTS", zkCode: -8 };

function expectError(r: Reply, want: { status: number; code: string; zkCode: number | null }, label = ""): void {
  expect({ status: r.status, code: r.body?.code, zkCode: r.body?.zkCode }, label).toEqual(want);
  expect(typeof r.body.message, label).toBe("string");
  expect(r.body.message.length, label).toBeGreaterThan(0);
}

async function zxidOf(svc: Svc, headers: Headers = ANON): Promise<bigint> {
  const r = await svc.call("GET", "/v1/znodes/?view=stat", { headers });
  expect(r.status).toBe(200);
  return r.zxid;
}

/** Runs `send` and checks it spent exactly `n` zxids (and, when it spent one, reports it). */
async function spending(svc: Svc, n: number, send: () => Promise<Reply>, headers: Headers = ANON): Promise<Reply> {
  const before = await zxidOf(svc, headers);
  const r = await send();
  const after = await zxidOf(svc, headers);
  expect(after - before, `zxids spent by a ${r.status} ${JSON.stringify(r.body).slice(0, 120)}`).toBe(BigInt(n));
  expect(r.zxid).toBe(after);
  return r;
}

describe.each(TRANSPORTS)("ACLs over %s", (transport) => {
  const fresh = (vars: Parameters<typeof service>[1] = {}, clientIp?: string) => service(etcd.client(transport), vars, clientIp);
  let prefixes = 0;
  const sharedPrefix = () => `acl-${transport}-${process.pid}-${Date.now()}-${++prefixes}/`;

  describe("digest ACLs from HTTP Basic identities", () => {
    let svc: Svc;
    beforeAll(async () => {
      svc = fresh();
      const created = await svc.call("POST", "/v1/znodes/d", { json: { data: b64("secret"), acl: aliceOnly() }, headers: ALICE });
      expect(created.status).toBe(201);
      expect((await svc.call("POST", "/v1/znodes/d/kid", { json: { acl: aliceOnly() }, headers: ALICE })).status).toBe(201);
    });

    test("a new node's default ACL is world:anyone with every permission", async () => {
      await svc.call("POST", "/v1/znodes/open", { json: {} });
      const r = await svc.call("GET", "/v1/acl/open");
      expect(r.status).toBe(200);
      expect(r.body.path).toBe("/open");
      expect(r.body.acl).toEqual([WORLD_ALL]);
      expect(r.body.stat).toMatchObject({ version: 0, aversion: 0 });
    });

    test("the owner sees the digest id user:base64(sha1(user:password)) in full", async () => {
      const r = await svc.call("GET", "/v1/acl/d", { headers: ALICE });
      expect(r.status).toBe(200);
      expect(r.body.acl).toEqual(aliceOnly());
      expect(r.body.acl[0].id).toBe("alice:" + createHash("sha1").update("alice:pw1").digest("base64"));
    });

    test("the owner reads, writes, creates and deletes children", async () => {
      const got = await svc.call("GET", "/v1/znodes/d", { headers: ALICE });
      expect(got.status).toBe(200);
      expect(unb64(got.body.data)).toBe("secret");
      expect((await svc.call("GET", "/v1/znodes/d?view=children", { headers: ALICE })).body.children).toEqual(["kid"]);
      expect((await svc.call("PUT", "/v1/znodes/d", { json: { data: b64("secret2") }, headers: ALICE })).status).toBe(200);
      expect((await svc.call("POST", "/v1/znodes/d/owned", { json: {}, headers: ALICE })).status).toBe(201);
      expect((await svc.call("DELETE", "/v1/znodes/d/owned", { headers: ALICE })).status).toBe(204);
      const m = await svc.call("POST", "/v1/multi", { json: { ops: [{ op: "check", path: "/d", version: -1 }] }, headers: ALICE });
      expect(m.status).toBe(200);
    });

    test.each([
      ["another user", BOB],
      ["the same user with another password", basic("alice", "wrong")],
      ["an anonymous caller", ANON],
    ])("%s gets 403 NOAUTH on read: nothing spent", async (_who, headers) => {
      for (const p of ["/v1/znodes/d", "/v1/znodes/d?view=children", "/v1/acl/d"]) {
        const r = await spending(svc, 0, () => svc.call("GET", p, { headers }));
        expectError(r, NOAUTH, p);
        expect(r.body.path).toBe("/d");
      }
      const mr = await spending(svc, 0, () => svc.call("POST", "/v1/multi/read", { json: { ops: [{ op: "getData", path: "/d" }, { op: "getData", path: "/" }] }, headers }));
      expect(mr.status).toBe(200);
      expect(mr.body.results[0].error).toMatchObject({ code: "NOAUTH", zkCode: -102 });
      expect(mr.body.results[1].error).toBeUndefined();
    });

    test.each([
      ["another user", BOB],
      ["an anonymous caller", ANON],
    ])("%s gets 403 NOAUTH on set, create-child, delete-child, setACL: one zxid each", async (_who, headers) => {
      expectError(await spending(svc, 1, () => svc.call("PUT", "/v1/znodes/d", { json: { data: b64("x") }, headers })), NOAUTH, "set");
      expectError(await spending(svc, 1, () => svc.call("POST", "/v1/znodes/d/intruder", { json: {}, headers })), NOAUTH, "create");
      expectError(await spending(svc, 1, () => svc.call("DELETE", "/v1/znodes/d/kid", { headers })), NOAUTH, "delete");
      expectError(await spending(svc, 1, () => svc.call("PUT", "/v1/acl/d", { json: { acl: [WORLD_ALL] }, headers })), NOAUTH, "setACL");
      const m = await spending(svc, 1, () =>
        svc.call("POST", "/v1/multi", { json: { ops: [{ op: "create", path: "/fine" }, { op: "setData", path: "/d", data: b64("x") }, { op: "check", path: "/" }] }, headers }),
      );
      expectError(m, NOAUTH, "multi");
      expect(m.body.results).toEqual([{ code: "OK" }, { code: "NOAUTH" }, { code: "RUNTIMEINCONSISTENCY" }]);
      const check = await spending(svc, 1, () => svc.call("POST", "/v1/multi", { json: { ops: [{ op: "check", path: "/d", version: -1 }] }, headers }));
      expectError(check, NOAUTH, "check");
      // Nothing changed.
      const got = await svc.call("GET", "/v1/znodes/d?view=children", { headers: ALICE });
      expect(got.body.children).toEqual(["kid"]);
      expect((await svc.call("GET", "/v1/znodes/fine")).status).toBe(404);
      expect((await svc.call("GET", "/v1/acl/d", { headers: ALICE })).body.acl).toEqual(aliceOnly());
    });

    test("exists needs no permission", async () => {
      const stat = await svc.call("GET", "/v1/znodes/d?view=stat", { headers: BOB });
      expect(stat.status).toBe(200);
      expect(stat.body.stat.numChildren).toBe(1);
      const head = await svc.call("HEAD", "/v1/znodes/d");
      expect(head.status).toBe(200);
      expect(JSON.parse(head.headers.get("zk-stat")!).numChildren).toBe(1);
    });

    test("a password containing ':' is part of the password", async () => {
      const r = await svc.call("POST", "/v1/znodes/colon", { json: { acl: [acl("cdrwa", "auth", "")] }, headers: basic("carol", "pa:ss") });
      expect(r.status).toBe(201);
      const got = await svc.call("GET", "/v1/acl/colon", { headers: basic("carol", "pa:ss") });
      expect(got.body.acl).toEqual([acl("cdrwa", "digest", digest("carol", "pa:ss"))]);
      expect((await svc.call("GET", "/v1/znodes/colon", { headers: basic("carol", "pa") })).status).toBe(403);
    });

    test("the Basic scheme name is case-insensitive", async () => {
      const r = await svc.call("GET", "/v1/znodes/d", { headers: { authorization: "basic " + b64("alice:pw1") } });
      expect(r.status).toBe(200);
    });
  });

  describe("which permission each op needs", () => {
    let svc: Svc;
    beforeAll(() => {
      svc = fresh();
    });

    test("getACL needs READ or ADMIN; with READ only, digest ids are shown as user:x", async () => {
      const full = [acl("r", "world", "anyone"), acl("cdrwa", "digest", digest("alice", "pw1")), acl("r", "digest", digest("bob", "pw2"))];
      expect((await svc.call("POST", "/v1/znodes/redact", { json: { acl: full }, headers: ALICE })).status).toBe(201);
      for (const headers of [ANON, BOB]) {
        const r = await spending(svc, 0, () => svc.call("GET", "/v1/acl/redact", { headers }));
        expect(r.status).toBe(200);
        expect(r.body.acl).toEqual([acl("r", "world", "anyone"), acl("cdrwa", "digest", "alice:x"), acl("r", "digest", "bob:x")]);
      }
      expect((await svc.call("GET", "/v1/acl/redact", { headers: ALICE })).body.acl).toEqual(full);

      // ADMIN without READ: the full ACL, but no data.
      const adminOnly = [acl("a", "world", "anyone"), acl("r", "digest", digest("alice", "pw1"))];
      expect((await svc.call("POST", "/v1/znodes/adminonly", { json: { acl: adminOnly } })).status).toBe(201);
      const a = await svc.call("GET", "/v1/acl/adminonly");
      expect(a.status).toBe(200);
      expect(a.body.acl).toEqual(adminOnly);
      expectError(await svc.call("GET", "/v1/znodes/adminonly"), NOAUTH);

      // Neither READ nor ADMIN.
      expect((await svc.call("POST", "/v1/znodes/neither", { json: { acl: [acl("cdw", "world", "anyone")] } })).status).toBe(201);
      expectError(await spending(svc, 0, () => svc.call("GET", "/v1/acl/neither")), NOAUTH);
    });

    test("world 'r' only: reads work; setData, create-child and setACL are 403", async () => {
      expect((await svc.call("POST", "/v1/znodes/ronly", { json: { data: b64("r"), acl: [acl("r", "world", "anyone")] } })).status).toBe(201);
      expect((await svc.call("GET", "/v1/znodes/ronly")).status).toBe(200);
      expect((await svc.call("GET", "/v1/znodes/ronly?view=children")).status).toBe(200);
      expectError(await spending(svc, 1, () => svc.call("PUT", "/v1/znodes/ronly", { json: { data: b64("w") } })), NOAUTH);
      expectError(await spending(svc, 1, () => svc.call("POST", "/v1/znodes/ronly/c", { json: {} })), NOAUTH);
      expectError(await spending(svc, 1, () => svc.call("PUT", "/v1/acl/ronly", { json: { acl: [WORLD_ALL] } })), NOAUTH);
      // Deleting it needs DELETE on its parent (/: world all), not on it.
      expect((await spending(svc, 1, () => svc.call("DELETE", "/v1/znodes/ronly"))).status).toBe(204);
    });

    test("world 'w' only: setData works, reads are 403", async () => {
      expect((await svc.call("POST", "/v1/znodes/wonly", { json: { acl: [acl("w", "world", "anyone")] } })).status).toBe(201);
      expect((await svc.call("PUT", "/v1/znodes/wonly", { json: { data: b64("w") } })).status).toBe(200);
      expectError(await svc.call("GET", "/v1/znodes/wonly"), NOAUTH);
      expectError(await svc.call("GET", "/v1/znodes/wonly?view=children"), NOAUTH);
      expect((await svc.call("GET", "/v1/znodes/wonly?view=stat")).body.stat.version).toBe(1);
    });

    test("delete needs DELETE on the parent only, not on the node", async () => {
      expect((await svc.call("POST", "/v1/znodes/cd", { json: { acl: [acl("cd", "world", "anyone")] } })).status).toBe(201);
      expect((await svc.call("POST", "/v1/znodes/cd/locked", { json: { acl: aliceOnly() }, headers: ALICE })).status).toBe(201);
      expect((await spending(svc, 1, () => svc.call("DELETE", "/v1/znodes/cd/locked", { headers: BOB }))).status).toBe(204);

      expect((await svc.call("POST", "/v1/znodes/nod", { json: { acl: [acl("crwa", "world", "anyone")] } })).status).toBe(201);
      expect((await svc.call("POST", "/v1/znodes/nod/kid", { json: {} })).status).toBe(201);
      expectError(await spending(svc, 1, () => svc.call("DELETE", "/v1/znodes/nod/kid")), NOAUTH);
      expect((await svc.call("GET", "/v1/znodes/nod/kid")).status).toBe(200);
    });

    test("create needs CREATE on the parent, whatever the new node's ACL", async () => {
      expect((await svc.call("POST", "/v1/znodes/conly", { json: { acl: [acl("c", "world", "anyone")] } })).status).toBe(201);
      expect((await svc.call("POST", "/v1/znodes/conly/a", { json: { acl: aliceOnly() }, headers: BOB })).status).toBe(201);
      expect((await svc.call("POST", "/v1/znodes/conly/s-", { json: { mode: "persistent_sequential" } })).status).toBe(201);
      expectError(await svc.call("GET", "/v1/znodes/conly?view=children"), NOAUTH);
      expect((await svc.call("POST", "/v1/znodes/noc", { json: { acl: [acl("drwa", "world", "anyone")] } })).status).toBe(201);
      expectError(await spending(svc, 1, () => svc.call("POST", "/v1/znodes/noc/a", { json: {} })), NOAUTH);
      // A failed sequential create still counts nothing: the next name is unchanged.
      expect((await svc.call("GET", "/v1/znodes/noc?view=stat")).body.stat.cversion).toBe(0);
    });

    test("setACL needs ADMIN", async () => {
      expect((await svc.call("POST", "/v1/znodes/noadmin", { json: { acl: [acl("cdrw", "world", "anyone")] } })).status).toBe(201);
      expectError(await spending(svc, 1, () => svc.call("PUT", "/v1/acl/noadmin", { json: { acl: [WORLD_ALL] } })), NOAUTH);
      expect((await svc.call("POST", "/v1/znodes/adminable", { json: { acl: [acl("a", "world", "anyone")] } })).status).toBe(201);
      expect((await svc.call("PUT", "/v1/acl/adminable", { json: { acl: [WORLD_ALL] } })).status).toBe(200);
      expect((await svc.call("GET", "/v1/znodes/adminable")).status).toBe(200);
    });
  });

  describe("setACL", () => {
    test("increments aversion only: version, mzxid, ctime, mtime, pzxid and cversion stay", async () => {
      const svc = fresh();
      await svc.call("POST", "/v1/znodes/s", { json: { data: b64("v0") } });
      await svc.call("POST", "/v1/znodes/s/c", { json: {} });
      await svc.call("PUT", "/v1/znodes/s", { json: { data: b64("v1") } });
      const before = (await svc.call("GET", "/v1/znodes/s?view=stat")).body.stat;
      expect(before).toMatchObject({ version: 1, aversion: 0 });

      const set = await spending(svc, 1, () => svc.call("PUT", "/v1/acl/s?aversion=0", { json: { acl: [WORLD_ALL, acl("r", "ip", "10.0.0.0/8")] } }));
      expect(set.status).toBe(200);
      expect(set.body.path).toBe("/s");
      expect(set.body.stat).toEqual({ ...before, aversion: 1 });
      const got = await svc.call("GET", "/v1/acl/s");
      expect(got.body.acl).toEqual([WORLD_ALL, acl("r", "ip", "10.0.0.0/8")]);
      expect(got.body.stat).toEqual(set.body.stat);
      expect(unb64((await svc.call("GET", "/v1/znodes/s")).body.data)).toBe("v1");

      // No aversion, or -1: any.
      expect((await svc.call("PUT", "/v1/acl/s", { json: { acl: [WORLD_ALL] } })).body.stat.aversion).toBe(2);
      expect((await svc.call("PUT", "/v1/acl/s?aversion=-1", { json: { acl: [WORLD_ALL] } })).body.stat.aversion).toBe(3);
      // Setting the same ACL again still counts.
      expect((await svc.call("GET", "/v1/znodes/s?view=stat")).body.stat).toEqual({ ...before, aversion: 3 });
    });

    test("?aversion= that does not match is 412 BADVERSION and spends one zxid", async () => {
      const svc = fresh();
      await svc.call("POST", "/v1/znodes/av", { json: {} });
      await svc.call("PUT", "/v1/acl/av", { json: { acl: [WORLD_ALL] } });
      for (const v of [0, 2, 5]) {
        const r = await spending(svc, 1, () => svc.call("PUT", `/v1/acl/av?aversion=${v}`, { json: { acl: [acl("r", "world", "anyone")] } }));
        expectError(r, BADVERSION);
        expect(r.body.path).toBe("/av");
      }
      // The node's data version is not what aversion checks.
      await svc.call("PUT", "/v1/znodes/av", { json: {} });
      await svc.call("PUT", "/v1/znodes/av", { json: {} });
      expectError(await svc.call("PUT", "/v1/acl/av?aversion=2", { json: { acl: [WORLD_ALL] } }), BADVERSION);
      expect((await svc.call("PUT", "/v1/acl/av?aversion=1", { json: { acl: [WORLD_ALL] } })).status).toBe(200);
    });

    test("setACL of a missing node is 404 NONODE and spends one zxid", async () => {
      const svc = fresh();
      const r = await spending(svc, 1, () => svc.call("PUT", "/v1/acl/missing", { json: { acl: [WORLD_ALL] } }));
      expectError(r, { status: 404, code: "NONODE", zkCode: -101 });
      expectError(await spending(svc, 0, () => svc.call("GET", "/v1/acl/missing")), { status: 404, code: "NONODE", zkCode: -101 });
    });
  });

  describe("fix-up of a given ACL", () => {
    let svc: Svc;
    beforeAll(() => {
      svc = fresh();
    });

    test("duplicate entries are stored once", async () => {
      const given = [WORLD_ALL, WORLD_ALL, acl("r", "world", "anyone"), acl("r", "ip", "10.0.0.1"), acl("r", "ip", "10.0.0.1"), ...aliceOnly(), ...aliceOnly()];
      expect((await svc.call("POST", "/v1/znodes/dup", { json: { acl: given } })).status).toBe(201);
      const want = [WORLD_ALL, acl("r", "world", "anyone"), acl("r", "ip", "10.0.0.1"), ...aliceOnly()];
      expect((await svc.call("GET", "/v1/acl/dup", { headers: ALICE })).body.acl).toEqual(want);
      expect((await svc.call("PUT", "/v1/acl/dup", { json: { acl: given } })).status).toBe(200);
      expect((await svc.call("GET", "/v1/acl/dup", { headers: ALICE })).body.acl).toEqual(want);
    });

    test("the auth scheme stands for the caller's authenticated identity", async () => {
      const r = await spending(svc, 1, () => svc.call("POST", "/v1/znodes/authed", { json: { acl: [acl("cdrwa", "auth", "")] }, headers: ALICE }));
      expect(r.status).toBe(201);
      expect((await svc.call("GET", "/v1/acl/authed", { headers: ALICE })).body.acl).toEqual(aliceOnly());
      expectError(await svc.call("GET", "/v1/znodes/authed", { headers: BOB }), NOAUTH);
      // The id given with auth is ignored, as ZooKeeper ignores it.
      expect((await svc.call("PUT", "/v1/acl/authed", { json: { acl: [acl("r", "auth", "whoever"), WORLD_ALL] }, headers: ALICE })).status).toBe(200);
      expect((await svc.call("GET", "/v1/acl/authed", { headers: ALICE })).body.acl).toEqual([acl("r", "digest", digest("alice", "pw1")), WORLD_ALL]);
    });

    test("the auth scheme without an authenticated caller is INVALIDACL and spends one zxid", async () => {
      const r = await spending(svc, 1, () => svc.call("POST", "/v1/znodes/unauthed", { json: { acl: [acl("cdrwa", "auth", "")] } }));
      expectError(r, INVALIDACL);
      expect((await svc.call("GET", "/v1/znodes/unauthed")).status).toBe(404);
      await svc.call("POST", "/v1/znodes/unauthed-set", { json: {} });
      expectError(await spending(svc, 1, () => svc.call("PUT", "/v1/acl/unauthed-set", { json: { acl: [WORLD_ALL, acl("r", "auth", "")] } })), INVALIDACL);
      expect((await svc.call("GET", "/v1/acl/unauthed-set")).body.acl).toEqual([WORLD_ALL]);
    });

    test.each([
      ["digest without a hash", "digest", "nocolon"],
      ["digest with an empty hash", "digest", "user:"],
      ["digest with three parts", "digest", "a:b:c"],
      ["digest empty", "digest", ""],
      ["ip with three octets", "ip", "10.0.0"],
      ["ip with an octet over 255", "ip", "256.0.0.1"],
      ["ip with too many bits", "ip", "10.0.0.0/33"],
      ["ip with non-numeric bits", "ip", "10.0.0.0/x"],
      ["ip that is a host name", "ip", "localhost"],
      ["ip with two slashes", "ip", "10.0.0.0/8/8"],
      ["ip empty", "ip", ""],
      ["world with an id other than anyone", "world", "someone"],
      ["an unknown scheme", "kerberos", "alice"],
      ["an empty scheme", "", "anyone"],
    ])("%s is INVALIDACL and spends one zxid", async (_why, scheme, id) => {
      const name = `/bad-${Math.random().toString(36).slice(2, 8)}`;
      const r = await spending(svc, 1, () => svc.call("POST", `/v1/znodes${name}`, { json: { acl: [WORLD_ALL, acl("cdrwa", scheme, id)] } }));
      expectError(r, INVALIDACL);
      expect((await svc.call("GET", `/v1/znodes${name}`)).status).toBe(404);
      await svc.call("POST", `/v1/znodes${name}`, { json: {} });
      expectError(await spending(svc, 1, () => svc.call("PUT", `/v1/acl${name}`, { json: { acl: [acl("cdrwa", scheme, id)] } })), INVALIDACL);
      expect((await svc.call("GET", `/v1/acl${name}`)).body.acl).toEqual([WORLD_ALL]);
      const m = await spending(svc, 1, () => svc.call("POST", "/v1/multi", { json: { ops: [{ op: "create", path: `${name}/ok` }, { op: "create", path: `${name}/bad`, acl: [acl("r", scheme, id)] }] } }));
      expectError(m, INVALIDACL);
      expect(m.body.results).toEqual([{ code: "OK" }, { code: "INVALIDACL" }]);
    });

    test("valid ids of each scheme are accepted", async () => {
      const ok = [
        acl("r", "digest", digest("u", "p")),
        acl("r", "digest", ":hash"), // Java's split keeps a leading empty part: two parts
        acl("r", "ip", "10.0.0.1"),
        acl("r", "ip", "10.0.0.0/8"),
        acl("r", "ip", "0.0.0.0/0"),
        acl("r", "ip", "10.0.0.1/32"),
        WORLD_ALL,
      ];
      const r = await svc.call("POST", "/v1/znodes/valid-ids", { json: { acl: ok } });
      expect(r.status).toBe(201);
      expect((await svc.call("GET", "/v1/acl/valid-ids")).body.acl).toHaveLength(ok.length);
    });

    test("the ACL is checked before the parent: INVALIDACL for a create under a missing or forbidden parent", async () => {
      const r = await spending(svc, 1, () => svc.call("POST", "/v1/znodes/nowhere/x", { json: { acl: [acl("r", "digest", "bad")] } }));
      expectError(r, INVALIDACL);
      await svc.call("POST", "/v1/znodes/closed", { json: { acl: [acl("r", "world", "anyone")] } });
      expectError(await spending(svc, 1, () => svc.call("POST", "/v1/znodes/closed/x", { json: { acl: [acl("r", "digest", "bad")] } })), INVALIDACL);
      expectError(await spending(svc, 1, () => svc.call("PUT", "/v1/acl/nowhere", { json: { acl: [acl("r", "digest", "bad")] } })), INVALIDACL);
    });

    test("an empty ACL list for create or setACL is INVALIDACL and spends nothing (ZooKeeper's client refuses it)", async () => {
      expectError(await spending(svc, 0, () => svc.call("POST", "/v1/znodes/empty", { json: { acl: [] } })), INVALIDACL);
      await svc.call("POST", "/v1/znodes/empty-set", { json: {} });
      expectError(await spending(svc, 0, () => svc.call("PUT", "/v1/acl/empty-set", { json: { acl: [] } })), INVALIDACL);
    });

    test("an empty ACL list in a multi reaches the server (Op.Create.validate does not check ACLs): INVALIDACL at that op, one zxid", async () => {
      const m = await spending(svc, 1, () =>
        svc.call("POST", "/v1/multi", { json: { ops: [{ op: "create", path: "/empty-m1" }, { op: "create", path: "/empty-m2", acl: [] }, { op: "check", path: "/" }] } }),
      );
      expectError(m, INVALIDACL);
      expect(m.body.results).toEqual([{ code: "OK" }, { code: "INVALIDACL" }, { code: "RUNTIMEINCONSISTENCY" }]);
      expect((await svc.call("GET", "/v1/znodes/empty-m1")).status).toBe(404);
    });

    test("duplicates are removed before auth is expanded, as ZooKeeper's fixupACL does", async () => {
      // [auth, digest alice] differ as given, so both stay; auth then becomes digest alice too.
      const given = [acl("cdrwa", "auth", ""), ...aliceOnly()];
      expect((await svc.call("POST", "/v1/znodes/dup-auth", { json: { acl: given }, headers: ALICE })).status).toBe(201);
      expect((await svc.call("GET", "/v1/acl/dup-auth", { headers: ALICE })).body.acl).toEqual([...aliceOnly(), ...aliceOnly()]);
    });
  });

  describe("the ip scheme", () => {
    test("exact addresses and CIDR ranges", async () => {
      const prefix = sharedPrefix();
      const owner = fresh({ ZK_PREFIX: prefix }, "10.1.2.3");
      const neighbour = fresh({ ZK_PREFIX: prefix }, "10.1.255.254");
      const stranger = fresh({ ZK_PREFIX: prefix }, "10.2.0.1");
      const create = async (name: string, id: string) => {
        const r = await owner.call("POST", `/v1/znodes/${name}`, { json: { data: b64(name), acl: [acl("cdrwa", "ip", id)] } });
        expect(r.status, `${name} ${JSON.stringify(r.body)}`).toBe(201);
      };
      await create("exact", "10.1.2.3");
      await create("slash32", "10.1.2.3/32");
      await create("slash16", "10.1.0.0/16");
      await create("slash8", "10.0.0.0/8");
      await create("all", "0.0.0.0/0");
      await create("other", "192.168.0.0/16");
      const can = async (who: Svc, name: string, ok: boolean) => {
        const r = await who.call("GET", `/v1/znodes/${name}`);
        expect(r.status, `${name}`).toBe(ok ? 200 : 403);
      };
      await can(owner, "exact", true);
      await can(neighbour, "exact", false);
      await can(stranger, "exact", false);
      await can(owner, "slash32", true);
      await can(neighbour, "slash32", false);
      await can(owner, "slash16", true);
      await can(neighbour, "slash16", true);
      await can(stranger, "slash16", false);
      await can(stranger, "slash8", true);
      await can(stranger, "all", true);
      await can(owner, "other", false);

      expectError(await spending(stranger, 1, () => stranger.call("PUT", "/v1/znodes/slash16", { json: { data: b64("x") } })), NOAUTH);
      expect((await neighbour.call("PUT", "/v1/znodes/slash16", { json: { data: b64("y") } })).status).toBe(200);
      // Credentials add a digest identity; the address still counts.
      expect((await owner.call("GET", "/v1/znodes/exact", { headers: BOB })).status).toBe(200);
    });

    test("an IPv4-mapped IPv6 caller matches IPv4 entries", async () => {
      const prefix = sharedPrefix();
      const owner = fresh({ ZK_PREFIX: prefix }, "10.1.2.3");
      const mapped = fresh({ ZK_PREFIX: prefix }, "::ffff:10.1.2.3");
      expect((await owner.call("POST", "/v1/znodes/m", { json: { acl: [acl("cdrwa", "ip", "10.1.0.0/16")] } })).status).toBe(201);
      expect((await mapped.call("GET", "/v1/znodes/m")).status).toBe(200);
    });

    test("an address is not an authenticated identity: auth with no credentials is INVALIDACL", async () => {
      const svc = fresh({}, "10.9.9.9");
      expectError(await spending(svc, 1, () => svc.call("POST", "/v1/znodes/ipauth", { json: { acl: [acl("cdrwa", "auth", "")] } })), INVALIDACL);
    });
  });

  describe("authentication", () => {
    test.each([
      ["garbage after Basic", "Basic !!!"],
      ["another scheme", "Bearer abc"],
      ["Digest scheme", 'Digest username="alice"'],
      ["Basic with no credentials", "Basic"],
      ["no colon", "Basic " + b64("nocolon")],
      ["not UTF-8", "Basic " + Buffer.from([0xff, 0x3a, 0x70]).toString("base64")],
      ["not base64", "Basic a=b=c"],
    ])("a malformed Authorization header (%s) is 401 AUTHFAILED with WWW-Authenticate, spending nothing", async (_why, header) => {
      const svc = fresh();
      for (const [m, p, json] of [
        ["GET", "/v1/znodes/", undefined],
        ["POST", "/v1/znodes/authfail", {}],
        ["PUT", "/v1/acl/", { acl: [WORLD_ALL] }],
        ["POST", "/v1/sessions", {}],
      ] as const) {
        const r = await spending(svc, 0, () => svc.call(m, p, { json, headers: { authorization: header } }));
        expectError(r, AUTHFAILED, `${m} ${p}`);
        expect(r.headers.get("www-authenticate"), `${m} ${p}`).toMatch(/^Basic\b/i);
      }
      expect((await svc.call("GET", "/v1/znodes/authfail")).status).toBe(404);
    });

    test("with ZK_API_CREDENTIALS only the configured pairs authenticate", async () => {
      const svc = fresh({ ZK_API_CREDENTIALS: "alice:pw1,bob:pw2" });
      for (const headers of [basic("alice", "wrong"), basic("mallory", "pw1"), basic("alice", ""), basic("", "pw1")]) {
        const r = await spending(svc, 0, () => svc.call("GET", "/v1/znodes/", { headers }));
        expectError(r, AUTHFAILED, JSON.stringify(headers));
        expect(r.headers.get("www-authenticate")).toMatch(/^Basic\b/i);
        expectError(await spending(svc, 0, () => svc.call("POST", "/v1/znodes/cred", { json: {}, headers })), AUTHFAILED);
      }
      expect((await svc.call("GET", "/v1/znodes/", { headers: ALICE })).status).toBe(200);
      expect((await svc.call("GET", "/v1/znodes/", { headers: BOB })).status).toBe(200);
      const created = await svc.call("POST", "/v1/znodes/cred", { json: { acl: [acl("cdrwa", "auth", "")] }, headers: ALICE });
      expect(created.status).toBe(201);
      expect((await svc.call("GET", "/v1/acl/cred", { headers: ALICE })).body.acl).toEqual(aliceOnly());
      expectError(await svc.call("GET", "/v1/znodes/cred", { headers: BOB }), NOAUTH);
    });

    test("with ZK_ALLOW_ANONYMOUS=false an anonymous call is 401, except /healthz, /openapi.json and /docs", async () => {
      const svc = fresh({ ZK_ALLOW_ANONYMOUS: "false" });
      for (const [m, p, json] of [
        ["GET", "/v1/znodes/", undefined],
        ["GET", "/v1/znodes/zookeeper?view=children", undefined],
        ["HEAD", "/v1/znodes/", undefined],
        ["POST", "/v1/znodes/anon", {}],
        ["GET", "/v1/acl/", undefined],
        ["POST", "/v1/sessions", {}],
        ["POST", "/v1/multi", { ops: [] }],
        ["GET", "/v1/stats", undefined],
        ["POST", "/v1/sync/", undefined],
      ] as const) {
        const r = await spending(svc, 0, () => svc.call(m, p, { json }), ALICE);
        expect(r.status, `${m} ${p}`).toBe(401);
        if (m !== "HEAD") expectError(r, AUTHFAILED, `${m} ${p}`);
        expect(r.headers.get("www-authenticate"), `${m} ${p}`).toMatch(/^Basic\b/i);
      }
      expect((await svc.call("GET", "/healthz")).status).toBe(200);
      expect((await svc.call("GET", "/openapi.json")).status).toBe(200);
      expect((await svc.call("GET", "/docs")).status).toBe(200);
      expect((await svc.call("GET", "/v1/znodes/anon", { headers: ALICE })).status).toBe(404);
      const created = await svc.call("POST", "/v1/znodes/anon", { json: {}, headers: ALICE });
      expect(created.status).toBe(201);
      expect((await svc.call("GET", "/v1/znodes/anon", { headers: BOB })).status).toBe(200);
    });

    test("ZK_ALLOW_ANONYMOUS unset means anonymous callers are refused", async () => {
      const svc = fresh({ ZK_ALLOW_ANONYMOUS: undefined });
      expectError(await svc.call("GET", "/v1/znodes/"), AUTHFAILED);
      expect((await svc.call("GET", "/healthz")).status).toBe(200);
    });
  });

  describe("ZooKeeper's own nodes", () => {
    let svc: Svc;
    beforeAll(() => {
      svc = fresh();
    });

    test("/zookeeper/config is world:anyone READ only: set, setACL and create under it are 403 and spend one zxid each", async () => {
      const got = await svc.call("GET", "/v1/acl/zookeeper/config");
      expect(got.body.acl).toEqual([acl("r", "world", "anyone")]);
      expect((await svc.call("GET", "/v1/znodes/zookeeper/config")).status).toBe(200);
      expectError(await spending(svc, 1, () => svc.call("PUT", "/v1/znodes/zookeeper/config", { json: { data: b64("x") } })), NOAUTH);
      expectError(await spending(svc, 1, () => svc.call("PUT", "/v1/acl/zookeeper/config", { json: { acl: [WORLD_ALL] } })), NOAUTH);
      expectError(await spending(svc, 1, () => svc.call("POST", "/v1/znodes/zookeeper/config/x", { json: {} })), NOAUTH);
      expectError(await spending(svc, 1, () => svc.call("PUT", "/v1/znodes/zookeeper/config", { json: { data: b64("x") }, headers: ALICE })), NOAUTH);
      expect((await svc.call("GET", "/v1/znodes/zookeeper/config?view=stat")).body.stat).toMatchObject({ version: 0, aversion: -1, numChildren: 0 });
    });

    test("deleting /, /zookeeper, /zookeeper/quota or /zookeeper/config is 400 BADARGUMENTS and spends one zxid", async () => {
      for (const p of ["/v1/znodes/", "/v1/znodes/zookeeper", "/v1/znodes/zookeeper/quota", "/v1/znodes/zookeeper/config"]) {
        expectError(await spending(svc, 1, () => svc.call("DELETE", p)), BADARGS, p);
      }
    });

    test("/zookeeper and /zookeeper/quota are world:anyone with every permission", async () => {
      expect((await svc.call("GET", "/v1/acl/zookeeper")).body.acl).toEqual([WORLD_ALL]);
      expect((await svc.call("GET", "/v1/acl/zookeeper/quota")).body.acl).toEqual([WORLD_ALL]);
      expect((await svc.call("GET", "/v1/acl/")).body.acl).toEqual([WORLD_ALL]);
    });
  });
});
