// Many callers at once on one parent: guarded commits retry, nothing is lost or doubled.
import { describe, expect, test } from "vitest";
import { etcdPerFile } from "../support/suite.js";
import { b64, service, TRANSPORTS } from "../support/service.js";

const etcd = etcdPerFile();

describe.each(TRANSPORTS)("concurrent writers over %s", (transport) => {
  test("sequential creates racing on one parent get distinct, dense names", async () => {
    const { call } = service(etcd.client(transport));
    await call("POST", "/v1/znodes/q");
    const n = 25;
    const created = await Promise.all(Array.from({ length: n }, () => call("POST", "/v1/znodes/q/job-", { json: { mode: "persistent_sequential" } })));
    expect(created.map((r) => r.status)).toEqual(Array(n).fill(201));
    const names = created.map((r) => r.body.path).sort();
    expect(names).toEqual(Array.from({ length: n }, (_, i) => `/q/job-${String(i).padStart(10, "0")}`));
    // Every create is its own zxid: n distinct czxids, the parent's pzxid the largest.
    const czxids = new Set(created.map((r) => r.body.stat.czxid));
    expect(czxids.size).toBe(n);
    const q = (await call("GET", "/v1/znodes/q?view=stat")).body.stat;
    expect(q).toMatchObject({ cversion: n, numChildren: n });
    expect(BigInt(q.pzxid)).toBe(created.map((r) => BigInt(r.body.stat.czxid)).reduce((a, b) => (a > b ? a : b)));
  });

  test("creating and deleting different children of one parent at once never collides", async () => {
    // The per-op round-trip counts are the process's: this test reads them before and after.
    const { call } = service(etcd.client(transport));
    await call("POST", "/v1/znodes/w");
    const before = (await call("GET", "/v1/stats")).body.operations;
    const n = 30;
    const created = await Promise.all(Array.from({ length: n }, (_, i) => call("POST", `/v1/znodes/w/n${i}`)));
    expect(created.map((r) => r.status)).toEqual(Array(n).fill(201));
    const deleted = await Promise.all(Array.from({ length: n / 2 }, (_, i) => call("DELETE", `/v1/znodes/w/n${i}`)));
    expect(deleted.map((r) => r.status)).toEqual(Array(n / 2).fill(204));
    const after = (await call("GET", "/v1/stats")).body.operations;
    const trips = (op: string) => after[op].roundTrips - (before[op]?.roundTrips ?? 0);
    // Two round trips each (snapshot, commit): no retries.
    expect(trips("create")).toBe(2 * n);
    expect(trips("delete")).toBe(2 * (n / 2));
    const w = await call("GET", "/v1/znodes/w?view=stat");
    expect(w.body.stat).toMatchObject({ numChildren: n / 2, cversion: n + n / 2 });
    // pzxid is the last child change's zxid: the largest zxid any of them got.
    const zxids = [...created, ...deleted].map((r) => r.zxid);
    expect(w.body.stat.pzxid).toBe(String(zxids.reduce((a, b) => (a > b ? a : b))));
  });

  test("conditional sets racing on one version: exactly one wins", async () => {
    const { call } = service(etcd.client(transport));
    await call("POST", "/v1/znodes/v");
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => call("PUT", "/v1/znodes/v?version=0", { json: { data: b64(String(i)) } })));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 412)).toHaveLength(19);
    expect((await call("GET", "/v1/znodes/v")).body.stat.version).toBe(1);
    // 20 writes, one success and 19 error txns: 20 zxids, each used once.
    const zxids = new Set(results.map((r) => r.zxid));
    expect(zxids.size).toBe(20);
  });

  test("creates and deletes of many children keep the parent's Stat exact", async () => {
    const { call } = service(etcd.client(transport));
    await call("POST", "/v1/znodes/p");
    await Promise.all(Array.from({ length: 30 }, (_, i) => call("POST", `/v1/znodes/p/c${i}`)));
    await Promise.all(Array.from({ length: 10 }, (_, i) => call("DELETE", `/v1/znodes/p/c${i}`)));
    const p = await call("GET", "/v1/znodes/p?view=children");
    expect(p.body.children).toHaveLength(20);
    expect(p.body.stat).toMatchObject({ cversion: 40, numChildren: 20 });
    expect(p.body.stat.pzxid).toBe(String(p.zxid));
  });
});
