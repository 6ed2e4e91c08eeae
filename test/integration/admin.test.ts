// Health, stats, sync, docs, routing errors, and etcd being away.
import { describe, expect, test } from "vitest";
import { freePort } from "../support/etcd-server.js";
import { etcdPerFile } from "../support/suite.js";
import { etcdClient, service, TRANSPORTS } from "../support/service.js";

const etcd = etcdPerFile();

describe.each(TRANSPORTS)("admin routes over %s", (transport) => {
  const fresh = (vars = {}) => service(etcd.client(transport), vars);

  test("healthz, sync, stats", async () => {
    const { call } = fresh();
    expect((await call("GET", "/healthz")).body).toEqual({ status: "ok" });
    const s = (await call("POST", "/v1/sessions", { json: { timeoutMs: 10_000 } })).body.id;
    await call("POST", "/v1/znodes/a");
    await call("POST", "/v1/znodes/a/e", { json: { mode: "ephemeral" }, headers: { "zk-session": s } });
    expect((await call("POST", "/v1/sync/a")).body).toEqual({ path: "/a" });
    expect((await call("POST", "/v1/sync/missing")).status).toBe(200);
    const stats = await call("GET", "/v1/stats");
    // Four system nodes, /a, /a/e.
    expect(stats.body).toMatchObject({ znodeCount: 6, ephemeralCount: 1, liveSessions: 1, lastZxid: "3" });
    expect(stats.zxid).toBe(3n);
    const ops = stats.body.operations;
    // The round-trip budget: reads take one, creates two when uncontended.
    // The counts are the process's, so the reads are measured as a difference.
    const reads = async () => ((await call("GET", "/v1/stats")).body.operations.getData ?? { count: 0, roundTrips: 0 }) as { count: number; roundTrips: number };
    const before = await reads();
    for (let i = 0; i < 3; i++) expect((await call("GET", "/v1/znodes/a")).status).toBe(200);
    const after = await reads();
    expect([after.count - before.count, after.roundTrips - before.roundTrips]).toEqual([3, 3]);
    expect(ops.create.perOp).toBe(2);
    expect(ops.sync.perOp).toBe(1);
    expect(stats.body.etcdRoundTrips.txn).toBeGreaterThan(0);
    await call("DELETE", `/v1/sessions/${s}`);
  });

  test("openapi.json and docs", async () => {
    const { call } = fresh();
    const doc = (await call("GET", "/openapi.json")).body;
    expect(doc.openapi).toMatch(/^3\./);
    for (const p of ["/v1/znodes/{path}", "/v1/multi", "/v1/multi/read", "/v1/sessions", "/v1/sessions/{id}", "/v1/acl/{path}", "/v1/watch/{path}", "/v1/events/{path}", "/healthz", "/v1/stats"]) {
      expect(doc.paths[p], p).toBeDefined();
    }
    expect(doc.components.schemas.Stat.properties.czxid.type).toBe("string");
    const docs = await call("GET", "/docs");
    expect(docs.status).toBe(200);
    expect(docs.headers.get("content-type")).toContain("text/html");
  });

  test("unknown routes and other methods", async () => {
    const { call } = fresh();
    const nf = await call("GET", "/v2/znodes/a");
    expect([nf.status, nf.body.code, nf.body.zkCode]).toEqual([404, "NOTFOUND", null]);
    const na = await call("PATCH", "/v1/znodes/a");
    expect([na.status, na.body.code]).toEqual([405, "METHODNOTALLOWED"]);
    expect(na.headers.get("allow")).toBe("GET, POST, PUT, DELETE, HEAD");
    expect((await call("GET", "/v1/multi")).headers.get("allow")).toBe("POST");
    expect((await call("POST", "/v1/events/a")).headers.get("allow")).toBe("GET, HEAD");
  });
});

describe("etcd unreachable", () => {
  test.each(TRANSPORTS)("is 503 CONNECTIONLOSS with Retry-After over %s", async (transport) => {
    const dead = etcdClient(transport, [`http://127.0.0.1:${await freePort()}`]);
    const { call } = service(dead);
    for (const [method, path] of [["GET", "/v1/znodes/a"], ["POST", "/v1/znodes/a"], ["GET", "/healthz"], ["POST", "/v1/sessions"]] as const) {
      const r = await call(method, path, { json: method === "POST" ? {} : undefined });
      expect([method, path, r.status, r.body.code]).toEqual([method, path, 503, "CONNECTIONLOSS"]);
      expect(r.headers.get("retry-after")).toBe("1");
    }
    await dead.close();
  });
});
