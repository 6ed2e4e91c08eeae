// Sessions against a real etcd with real lease expiry, over both transports.
import { describe, expect, test } from "vitest";
import { etcdPerFile } from "../support/suite.js";
import { service, TRANSPORTS } from "../support/service.js";

const etcd = etcdPerFile();

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe.each(TRANSPORTS)("sessions over %s", (transport) => {
  const fresh = (vars = {}) => service(etcd.client(transport), vars);

  test("open negotiates the timeout as ZooKeeper does and spends a zxid", async () => {
    const { call } = fresh();
    // Defaults: tickTime 2000, so [4000, 40000].
    const asked = [[1000, 4000], [4001, 4001], [10_000, 10_000], [100_000, 40_000]];
    const opened: string[] = [];
    for (const [i, [ask, got]] of asked.entries()) {
      const r = await call("POST", "/v1/sessions", { json: { timeoutMs: ask } });
      opened.push(r.body.id);
      expect(r.status).toBe(201);
      expect(r.body.timeoutMs).toBe(got);
      expect(r.body.id).toMatch(/^\d+$/);
      expect(r.headers.get("location")).toBe(`/v1/sessions/${r.body.id}`);
      expect(r.zxid).toBe(BigInt(i + 1));
    }
    const byDefault = (await call("POST", "/v1/sessions", { json: {} })).body;
    expect(byDefault.timeoutMs).toBe(30_000);
    opened.push(byDefault.id);
    for (const bad of [0, -5, 1.5, "10000"]) {
      const r = await call("POST", "/v1/sessions", { json: { timeoutMs: bad } });
      expect([r.status, r.body.code]).toEqual([400, "BADARGUMENTS"]);
    }
    const narrow = fresh({ ZK_TICK_TIME_MS: "500" });
    const clamped = (await narrow.call("POST", "/v1/sessions", { json: { timeoutMs: 100_000 } })).body;
    expect(clamped.timeoutMs).toBe(10_000);
    // Sessions left to expire would write to this etcd during later tests' zxid checks.
    for (const id of opened) expect((await call("DELETE", `/v1/sessions/${id}`)).status).toBe(204);
    expect((await narrow.call("DELETE", `/v1/sessions/${clamped.id}`)).status).toBe(204);
  });

  test("ping and inspect spend nothing; close removes ephemerals and moves parents in one zxid", async () => {
    const { call } = fresh();
    const id = (await call("POST", "/v1/sessions", { json: { timeoutMs: 10_000 } })).body.id;
    const other = (await call("POST", "/v1/sessions", { json: { timeoutMs: 10_000 } })).body.id;
    for (const p of ["/p1", "/p2"]) await call("POST", `/v1/znodes${p}`);
    const h = { "zk-session": id };
    await call("POST", "/v1/znodes/p1/a", { json: { mode: "ephemeral" }, headers: h });
    await call("POST", "/v1/znodes/p1/b", { json: { mode: "ephemeral" }, headers: h });
    await call("POST", "/v1/znodes/p2/c", { json: { mode: "ephemeral_sequential" }, headers: h });
    await call("POST", "/v1/znodes/p2/keep", { json: { mode: "ephemeral" }, headers: { "zk-session": other } });
    const before = (await call("GET", "/v1/znodes/p1?view=stat")).body.stat;
    expect(before).toMatchObject({ cversion: 2, numChildren: 2 });

    const ping = await call("POST", `/v1/sessions/${id}/ping`);
    expect(ping.body).toEqual({ id, timeoutMs: 10_000 });
    const info = await call("GET", `/v1/sessions/${id}`);
    expect(info.body).toEqual({ id, timeoutMs: 10_000, ephemerals: ["/p1/a", "/p1/b", "/p2/c0000000000"] });
    expect(info.zxid).toBe(ping.zxid);

    const closed = await call("DELETE", `/v1/sessions/${id}`);
    expect(closed.status).toBe(204);
    expect(closed.zxid).toBe(ping.zxid + 1n);
    const p1 = (await call("GET", "/v1/znodes/p1?view=children")).body;
    expect(p1.children).toEqual([]);
    // ZooKeeper's closeSession: cversion +1 per child removed, pzxid = the close's zxid.
    expect(p1.stat).toMatchObject({ cversion: 4, numChildren: 0, pzxid: String(closed.zxid) });
    const p2 = (await call("GET", "/v1/znodes/p2?view=children")).body;
    expect(p2.children).toEqual(["keep"]);
    expect(p2.stat).toMatchObject({ cversion: 3, numChildren: 1, pzxid: String(closed.zxid) });

    for (const [method, path] of [["POST", `/v1/sessions/${id}/ping`], ["GET", `/v1/sessions/${id}`], ["DELETE", `/v1/sessions/${id}`], ["GET", "/v1/znodes/p1"]] as const) {
      const r = await call(method, path, { headers: h });
      expect([method, path, r.status, r.body.code]).toEqual([method, path, 410, "SESSIONEXPIRED"]);
      expect(r.zxid).toBe(closed.zxid);
    }
    expect((await call("GET", `/v1/sessions/${other}`)).body.ephemerals).toEqual(["/p2/keep"]);
    await call("DELETE", `/v1/sessions/${other}`);
  });

  test("a session id that is not a decimal int64 is 400; an unknown one is 410", async () => {
    const { call } = fresh();
    for (const bad of ["abc", "-1", "9223372036854775808", "1.5"]) {
      const r = await call("POST", `/v1/sessions/${bad}/ping`);
      expect([bad, r.status, r.body.code]).toEqual([bad, 400, "BADARGUMENTS"]);
    }
    expect((await call("POST", "/v1/sessions/9223372036854775807/ping")).status).toBe(410);
    expect((await call("GET", "/v1/sessions/12345")).status).toBe(410);
  });

  test("a session that is not pinged expires: ephemerals go, one zxid spent", async () => {
    const { call } = fresh({ ZK_MIN_SESSION_TIMEOUT_MS: "1000" });
    // Short, but long enough that a loaded machine still creates the ephemeral in time.
    const s = await call("POST", "/v1/sessions", { json: { timeoutMs: 2000 } });
    expect(s.body.timeoutMs).toBe(2000);
    const id = s.body.id;
    await call("POST", "/v1/znodes/p");
    const e = await call("POST", "/v1/znodes/p/e", { json: { mode: "ephemeral" }, headers: { "zk-session": id } });
    expect(e.status).toBe(201);
    // Watch with inspect: a ping would keep it alive.
    await until("expiry", async () => ((await call("GET", `/v1/sessions/${id}`)).status === 410 ? true : undefined));
    const p = await call("GET", "/v1/znodes/p?view=children");
    expect(p.body.children).toEqual([]);
    expect(p.body.stat.numChildren).toBe(0);
    expect((await call("GET", "/v1/znodes/p/e")).status).toBe(404);
    // The expiry is the one write between the ephemeral's create and this one.
    expect((await call("POST", "/v1/znodes/next")).body.stat.czxid).toBe(String(BigInt(e.body.stat.czxid) + 2n));
    const stats = (await call("GET", "/v1/stats")).body;
    expect([stats.liveSessions, stats.ephemeralCount]).toEqual([0, 0]);
  });

  test("pinging keeps a session alive past its timeout", async () => {
    const { call } = fresh({ ZK_MIN_SESSION_TIMEOUT_MS: "1000" });
    const id = (await call("POST", "/v1/sessions", { json: { timeoutMs: 2000 } })).body.id;
    for (let i = 0; i < 8; i++) {
      expect((await call("POST", `/v1/sessions/${id}/ping`)).status).toBe(200);
      await new Promise((r) => setTimeout(r, 500));
    }
    expect((await call("GET", `/v1/sessions/${id}`)).status).toBe(200);
    await call("DELETE", `/v1/sessions/${id}`);
  });
});
