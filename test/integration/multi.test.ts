// multi and multi/read against a real etcd, over both transports. Per-op codes
// and zxids are what ZooKeeper 3.8 reports (checked against a real server).
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startEtcd, type EtcdServer } from "../support/etcd-server.js";
import { etcdPerFile } from "../support/suite.js";
import { b64, etcdClient, service, TRANSPORTS, unb64 } from "../support/service.js";

const etcd = etcdPerFile();

describe.each(TRANSPORTS)("multi over %s", (transport) => {
  const fresh = () => service(etcd.client(transport));
  const multi = (call: ReturnType<typeof fresh>["call"], ops: object[]) => call("POST", "/v1/multi", { json: { ops } });

  test("all ops commit in one zxid and see each other", async () => {
    const { call } = fresh();
    const r = await multi(call, [
      { op: "create", path: "/n", data: b64("v") },
      { op: "setData", path: "/n", data: b64("v1"), version: 0 },
      { op: "setData", path: "/n", data: b64("v22") },
      { op: "create", path: "/n/s-", mode: "persistent_sequential" },
      { op: "create", path: "/n/s-", mode: "persistent_sequential" },
      { op: "check", path: "/n", version: 2 },
    ]);
    expect(r.status).toBe(200);
    expect(r.zxid).toBe(1n);
    expect(r.body.results.map((x: any) => [x.op, x.path])).toEqual([
      ["create", "/n"],
      ["setData", "/n"],
      ["setData", "/n"],
      ["create", "/n/s-0000000000"],
      ["create", "/n/s-0000000001"],
      ["check", "/n"],
    ]);
    expect(r.body.results[2].stat).toMatchObject({ czxid: "1", mzxid: "1", version: 2, dataLength: 3 });
    const n = await call("GET", "/v1/znodes/n");
    expect(unb64(n.body.data)).toBe("v22");
    // Two children created by one txn: cversion 2, pzxid the txn's zxid.
    expect(n.body.stat).toMatchObject({ czxid: "1", mzxid: "1", pzxid: "1", version: 2, cversion: 2, numChildren: 2 });
  });

  test("delete then create of one path: the new node is born at the multi's zxid", async () => {
    const { call } = fresh();
    await call("POST", "/v1/znodes/a", { json: { data: b64("old") } });
    await call("PUT", "/v1/znodes/a", { json: { data: b64("older") } });
    const r = await multi(call, [{ op: "delete", path: "/a" }, { op: "create", path: "/a", data: b64("new") }]);
    expect(r.zxid).toBe(3n);
    const a = await call("GET", "/v1/znodes/a");
    expect(a.body.stat).toMatchObject({ czxid: "3", mzxid: "3", pzxid: "3", version: 0, cversion: 0 });
    const root = await call("GET", "/v1/znodes/?view=stat");
    // Root: creations /a, /a again → 2·2 − (zookeeper, a) = 2.
    expect(root.body.stat).toMatchObject({ pzxid: "3", cversion: 2, numChildren: 2 });
  });

  test("failure: nothing applies, one zxid spent, per-op codes as ZooKeeper reports", async () => {
    const { call } = fresh();
    await call("POST", "/v1/znodes/full");
    await call("POST", "/v1/znodes/full/c");
    const cases: [object[], number, string, string[]][] = [
      [[{ op: "create", path: "/m" }, { op: "create", path: "/m" }], 409, "NODEEXISTS", ["OK", "NODEEXISTS"]],
      [[{ op: "check", path: "/nope", version: 0 }, { op: "create", path: "/x" }], 404, "NONODE", ["NONODE", "RUNTIMEINCONSISTENCY"]],
      [[{ op: "create", path: "/x" }, { op: "setData", path: "/nope" }], 404, "NONODE", ["OK", "NONODE"]],
      [[{ op: "create", path: "/x" }, { op: "create", path: "/nope/y" }], 409, "NONODE", ["OK", "NONODE"]],
      [[{ op: "delete", path: "/full" }], 409, "NOTEMPTY", ["NOTEMPTY"]],
      [[{ op: "create", path: "/x" }, { op: "delete", path: "/full" }, { op: "create", path: "/y" }, { op: "check", path: "/x" }], 409, "NOTEMPTY", ["OK", "NOTEMPTY", "RUNTIMEINCONSISTENCY", "RUNTIMEINCONSISTENCY"]],
      [[{ op: "create", path: "/x" }, { op: "create", path: "/x/c" }, { op: "check", path: "/x", version: 1 }], 412, "BADVERSION", ["OK", "OK", "BADVERSION"]],
      [[{ op: "create", path: "/x" }, { op: "delete", path: "/x" }, { op: "delete", path: "/x" }], 404, "NONODE", ["OK", "OK", "NONODE"]],
      [[{ op: "setData", path: "/full", version: 0 }, { op: "setData", path: "/full", version: 0 }], 412, "BADVERSION", ["OK", "BADVERSION"]],
    ];
    let zxid = (await call("GET", "/v1/znodes/")).zxid;
    for (const [ops, status, code, codes] of cases) {
      const r = await multi(call, ops);
      expect([r.status, r.body.code, r.body.results.map((x: any) => x.code)]).toEqual([status, code, codes]);
      expect(r.body.zkCode).toBeTypeOf("number");
      expect(r.zxid).toBe(++zxid);
    }
    for (const p of ["/m", "/x", "/y"]) expect((await call("GET", `/v1/znodes${p}`)).status).toBe(404);
    expect((await call("GET", "/v1/znodes/full")).body.stat.version).toBe(0);
  });

  test("an ephemeral deleted and re-created by another session in one multi", async () => {
    const { call } = fresh();
    const a = (await call("POST", "/v1/sessions", { json: { timeoutMs: 10_000 } })).body.id;
    const b = (await call("POST", "/v1/sessions", { json: { timeoutMs: 10_000 } })).body.id;
    await call("POST", "/v1/znodes/e", { json: { mode: "ephemeral" }, headers: { "zk-session": a } });
    const r = await call("POST", "/v1/multi", {
      json: { ops: [{ op: "delete", path: "/e" }, { op: "create", path: "/e", mode: "ephemeral" }] },
      headers: { "zk-session": b },
    });
    expect(r.status).toBe(200);
    expect(r.body.results[1].stat.ephemeralOwner).toBe(b);
    expect((await call("GET", `/v1/sessions/${a}`)).body.ephemerals).toEqual([]);
    expect((await call("GET", `/v1/sessions/${b}`)).body.ephemerals).toEqual(["/e"]);
    await call("DELETE", `/v1/sessions/${a}`);
    await call("DELETE", `/v1/sessions/${b}`);
    expect((await call("GET", "/v1/znodes/e")).status).toBe(404);
    expect((await call("GET", "/v1/stats")).body.pendingReconciliations).toBe(0);
  });

  test("an empty multi and a multi of checks each spend a zxid", async () => {
    const { call } = fresh();
    const empty = await multi(call, []);
    expect([empty.status, empty.body.results, empty.zxid]).toEqual([200, [], 1n]);
    const checks = await multi(call, [{ op: "check", path: "/zookeeper", version: -1 }]);
    expect([checks.status, checks.zxid]).toEqual([200, 2n]);
    expect((await call("POST", "/v1/znodes/after")).body.stat.czxid).toBe("3");
  });

  test("a bad path or unknown op refuses the whole multi before anything is spent", async () => {
    const { call } = fresh();
    const before = (await call("GET", "/v1/znodes/")).zxid;
    const bad = await multi(call, [{ op: "create", path: "/ok" }, { op: "create", path: "/a//b" }, { op: "check", path: "/" }]);
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe("BADARGUMENTS");
    expect(bad.body.results.map((x: any) => x.code)).toEqual(["RUNTIMEINCONSISTENCY", "BADARGUMENTS", "RUNTIMEINCONSISTENCY"]);
    const twoBad = await multi(call, [{ op: "delete", path: "/a//b" }, { op: "setData", path: "/a/./b" }, { op: "check", path: "/" }]);
    expect(twoBad.body.results.map((x: any) => x.code)).toEqual(["BADARGUMENTS", "BADARGUMENTS", "RUNTIMEINCONSISTENCY"]);
    const unknown = await multi(call, [{ op: "create", path: "/ok" }, { op: "rename", path: "/x" }]);
    expect([unknown.status, unknown.body.code]).toEqual([400, "BADARGUMENTS"]);
    expect((await call("GET", "/v1/znodes/ok")).status).toBe(404);
    expect((await call("GET", "/v1/znodes/")).zxid).toBe(before);
  });

  test("data together over the limit is 413", async () => {
    const { call } = service(etcd.client(transport), { ZK_MAX_DATA_BYTES: "10" });
    const r = await multi(call, [{ op: "create", path: "/a", data: b64("123456") }, { op: "create", path: "/b", data: b64("123456") }]);
    expect([r.status, r.body.code, r.body.zkCode]).toEqual([413, "TOOLARGE", null]);
    expect((await call("GET", "/v1/znodes/a")).status).toBe(404);
  });

  test("a multi over many znodes reads in parts and commits in one txn", async () => {
    // The service assumes etcd's default of 128 ops per txn; this etcd allows more.
    const { call } = fresh();
    await call("POST", "/v1/znodes/big");
    const ops = Array.from({ length: 40 }, (_, i) => ({ op: "create", path: `/big/n${i}`, data: b64(String(i)) }));
    const r = await multi(call, ops);
    expect(r.status).toBe(200);
    expect(new Set(r.body.results.map((x: any) => x.stat.czxid))).toEqual(new Set([String(r.zxid)]));
    const big = await call("GET", "/v1/znodes/big?view=children");
    expect(big.body.children).toHaveLength(40);
    expect(big.body.stat).toMatchObject({ cversion: 40, numChildren: 40, pzxid: String(r.zxid) });
    const read = await call("POST", "/v1/multi/read", { json: { ops: ops.map((o) => ({ op: "getData", path: o.path })) } });
    expect(read.body.results.map((x: any) => unb64(x.data))).toEqual(ops.map((_, i) => String(i)));
  });

  test("multi/read answers each op on its own, spending nothing", async () => {
    const { call } = fresh();
    await call("POST", "/v1/znodes/r", { json: { data: b64("data") } });
    await call("POST", "/v1/znodes/r/k1");
    await call("POST", "/v1/znodes/secret", { json: { acl: [{ perms: "", scheme: "world", id: "anyone" }] } });
    const before = (await call("GET", "/v1/znodes/")).zxid;
    const r = await call("POST", "/v1/multi/read?encoding=utf8", {
      json: { ops: [{ op: "getData", path: "/r" }, { op: "getChildren", path: "/r" }, { op: "getData", path: "/nope" }, { op: "getChildren", path: "/secret" }] },
    });
    expect(r.status).toBe(200);
    expect(r.zxid).toBe(before);
    const [data, children, missing, denied] = r.body.results;
    expect(data).toMatchObject({ op: "getData", path: "/r", data: "data", stat: { numChildren: 1 } });
    expect(children).toMatchObject({ op: "getChildren", path: "/r", children: ["k1"] });
    expect(missing.error).toMatchObject({ code: "NONODE", zkCode: -101 });
    expect(denied.error).toMatchObject({ code: "NOAUTH", zkCode: -102 });
    expect((await call("POST", "/v1/multi/read", { json: { ops: [] } })).body.results).toEqual([]);
    expect((await call("POST", "/v1/multi/read", { json: { ops: [{ op: "getData", path: "bad" }] } })).status).toBe(400);
    expect((await call("POST", "/v1/multi/read", { json: { ops: [{ op: "setData", path: "/r" }] } })).status).toBe(400);
  });
});

describe("an etcd with its default limit of 128 ops per txn", () => {
  let server: EtcdServer;
  beforeAll(async () => {
    server = await startEtcd({ maxTxnOps: 128 });
  });
  afterAll(async () => {
    await server?.stop();
  });

  test.each(TRANSPORTS)("refuses a multi too big for one txn with 413 and changes nothing (%s)", async (transport) => {
    const client = etcdClient(transport, [server.endpoint]);
    const { call } = service(client);
    await call("POST", "/v1/znodes/big");
    const before = (await call("GET", "/v1/znodes/")).zxid;
    const ops = Array.from({ length: 40 }, (_, i) => ({ op: "create", path: `/big/n${i}` }));
    const r = await call("POST", "/v1/multi", { json: { ops } });
    expect([r.status, r.body.code, r.body.zkCode]).toEqual([413, "TOOLARGE", null]);
    expect(r.body.message).toContain("--max-txn-ops");
    expect((await call("GET", "/v1/znodes/big?view=stat")).body.stat.numChildren).toBe(0);
    expect((await call("GET", "/v1/znodes/")).zxid).toBe(before);
    // Twelve creates fit: reads are split, the commit is one txn.
    expect((await call("POST", "/v1/multi", { json: { ops: ops.slice(0, 12) } })).status).toBe(200);
    await client.close();
  });
});
