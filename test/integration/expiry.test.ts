// Session expiry moves the parents' Stat exactly as ZooKeeper's closeSession
// does, with real etcd lease expiry (no fake clocks). ZooKeeper facts (checked
// on a real 3.8 server): the expiry is one zxid; each parent's cversion rises
// by the number of its children removed and its pzxid becomes that zxid.
import { describe, expect, test } from "vitest";
import { Ctx } from "../../lib/context.js";
import { createGrpcEtcd } from "../../lib/etcd/grpc.js";
import { runMaintenance } from "../../lib/maintenance.js";
import { etcdPerFile } from "../support/suite.js";
import { service, TRANSPORTS } from "../support/service.js";

const etcd = etcdPerFile();
const VARS = { ZK_MIN_SESSION_TIMEOUT_MS: "1000" };

type Svc = ReturnType<typeof service>;

async function openSession(svc: Svc, timeoutMs = 2000): Promise<string> {
  return (await svc.call("POST", "/v1/sessions", { json: { timeoutMs } })).body.id;
}

async function ephemeral(svc: Svc, session: string, path: string) {
  const r = await svc.call("POST", `/v1/znodes${path}`, { json: { mode: "ephemeral" }, headers: { "zk-session": session } });
  expect(r.status).toBe(201);
  return r;
}

/** Waits for etcd itself to drop the session (without reading any parent). */
async function expired(svc: Svc, session: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while ((await svc.call("GET", `/v1/sessions/${session}`)).status !== 410) {
    if (Date.now() > deadline) throw new Error(`session ${session} did not expire`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function nonZooKeeperWrites(svc: Svc): Promise<bigint> {
  return BigInt((await svc.call("GET", "/v1/stats")).body.nonZooKeeperWrites);
}

describe.each(TRANSPORTS)("ephemeral expiry over %s", (transport) => {
  const fresh = () => service(etcd.client(transport), VARS);

  test("the next read of the parent shows ZooKeeper's Stat, and later zxids are dense", async () => {
    const svc = fresh();
    const { call } = svc;
    await call("POST", "/v1/znodes/p");
    await call("POST", "/v1/znodes/p/keep");
    const s = await openSession(svc);
    await ephemeral(svc, s, "/p/e1");
    const last = await ephemeral(svc, s, "/p/e2");
    const before = (await call("GET", "/v1/znodes/p?view=stat")).body.stat;
    expect(before).toMatchObject({ cversion: 3, numChildren: 3, pzxid: last.body.stat.czxid });
    await expired(svc, s);
    const expiryZxid = last.zxid + 1n; // the only write after the last create

    const p = await call("GET", "/v1/znodes/p?view=children");
    expect(p.body.children).toEqual(["keep"]);
    expect(p.body.stat).toMatchObject({ cversion: 5, numChildren: 1, pzxid: String(expiryZxid) });
    expect(p.zxid).toBe(expiryZxid);
    // Reconciliation spent no zxid: the next write gets the one after the expiry.
    const next = await call("POST", "/v1/znodes/p/after");
    expect(next.body.stat.czxid).toBe(String(expiryZxid + 1n));
    // Sequential numbering counts creations: keep, e1, e2, after → 4.
    expect((await call("POST", "/v1/znodes/p/s-?mode=persistent_sequential")).body.path).toBe("/p/s-0000000004");
    expect(await nonZooKeeperWrites(svc)).toBe(1n);
    // And the parent can be emptied and deleted as in ZooKeeper.
    for (const c of ["keep", "after", "s-0000000004"]) await call("DELETE", `/v1/znodes/p/${c}`);
    expect((await call("DELETE", "/v1/znodes/p")).status).toBe(204);
  });

  test("an expiry after other writes is found in etcd's history exactly", async () => {
    const svc = fresh();
    const { call } = svc;
    await call("POST", "/v1/znodes/p");
    // Long enough that the writes below finish before it expires, even on a loaded machine.
    const s = await openSession(svc, 5000);
    const created = await ephemeral(svc, s, "/p/e");
    let last = created.zxid;
    for (let i = 0; i < 20; i++) last = (await call("POST", `/v1/znodes/w${i}`)).zxid;
    await expired(svc, s);
    const p = (await call("GET", "/v1/znodes/p?view=stat")).body.stat;
    expect(p).toMatchObject({ pzxid: String(last + 1n), cversion: 2, numChildren: 0 });
    expect((await call("POST", "/v1/znodes/next")).body.stat.czxid).toBe(String(last + 2n));
  });

  test("several parents, several sessions expiring together, every read kind", async () => {
    const svc = fresh();
    const { call } = svc;
    for (const p of ["/a", "/b", "/c"]) await call("POST", `/v1/znodes${p}`);
    const s1 = await openSession(svc);
    const s2 = await openSession(svc);
    await ephemeral(svc, s1, "/a/x");
    await ephemeral(svc, s1, "/b/x");
    await ephemeral(svc, s2, "/b/y");
    const lastCreate = await ephemeral(svc, s2, "/c/y");
    await Promise.all([expired(svc, s1), expired(svc, s2)]);
    // Two expiries: lastCreate+1 and lastCreate+2, in some order.
    const expiries = [lastCreate.zxid + 1n, lastCreate.zxid + 2n];

    const read = await call("POST", "/v1/multi/read", { json: { ops: [{ op: "getData", path: "/a" }, { op: "getChildren", path: "/b" }] } });
    const [a, b] = read.body.results;
    expect(a.stat).toMatchObject({ numChildren: 0, cversion: 2 });
    expect(b.children).toEqual([]);
    expect(b.stat).toMatchObject({ numChildren: 0, cversion: 4 });
    // /b lost children to both sessions: its pzxid is the later expiry.
    expect(BigInt(b.stat.pzxid)).toBe(expiries[1]);
    expect(expiries).toContain(BigInt(a.stat.pzxid));
    const c = (await call("GET", "/v1/znodes/c")).body.stat;
    expect(expiries).toContain(BigInt(c.pzxid));
    expect(c).toMatchObject({ numChildren: 0, cversion: 2 });
    const head = await call("HEAD", "/v1/znodes/a");
    expect(JSON.parse(head.headers.get("zk-stat")!).pzxid).toBe(a.stat.pzxid);
    expect((await call("POST", "/v1/znodes/z")).body.stat.czxid).toBe(String(expiries[1] + 1n));
  });

  test("re-creating an expired ephemeral's name reconciles first", async () => {
    const svc = fresh();
    const { call } = svc;
    await call("POST", "/v1/znodes/p");
    const s1 = await openSession(svc);
    const first = await ephemeral(svc, s1, "/p/leader");
    await expired(svc, s1);
    const s2 = await openSession(svc, 10_000);
    // Writes so far after the first create: the expiry, then s2's open.
    const again = await ephemeral(svc, s2, "/p/leader");
    expect(again.body.stat.czxid).toBe(String(first.zxid + 3n));
    expect(again.body.stat.ephemeralOwner).toBe(s2);
    const p = (await call("GET", "/v1/znodes/p?view=stat")).body.stat;
    expect(p).toMatchObject({ numChildren: 1, cversion: 3, pzxid: String(first.zxid + 3n) });
    await call("DELETE", `/v1/sessions/${s2}`);
  });

  test("racing readers and the scheduled run reconcile once: cversion rises by k, the offset by one", async () => {
    const svc = fresh();
    const { call } = svc;
    await call("POST", "/v1/znodes/r");
    const s = await openSession(svc);
    for (const n of ["a", "b", "c"]) await ephemeral(svc, s, `/r/${n}`);
    await expired(svc, s);
    const cron = runMaintenance(new Ctx(etcd.client(transport), svc.config));
    const reads = await Promise.all(Array.from({ length: 12 }, () => call("GET", "/v1/znodes/r?view=stat")));
    await cron;
    for (const r of reads) expect(r.body.stat).toMatchObject({ cversion: 6, numChildren: 0 });
    expect(new Set(reads.map((r) => r.body.stat.pzxid)).size).toBe(1);
    expect(await nonZooKeeperWrites(svc)).toBe(1n);
  });

  test("explicit close needs no reconciliation", async () => {
    const svc = fresh();
    const { call } = svc;
    await call("POST", "/v1/znodes/p");
    const s = await openSession(svc, 10_000);
    await ephemeral(svc, s, "/p/e");
    const closed = await call("DELETE", `/v1/sessions/${s}`);
    expect((await call("GET", "/v1/znodes/p?view=stat")).body.stat).toMatchObject({ pzxid: String(closed.zxid), cversion: 2 });
    expect(await nonZooKeeperWrites(svc)).toBe(0n);
  });
});

test("compacted history: the reconciled pzxid keeps zxid order, and the fallback is counted", async () => {
  const svc = service(etcd.client("grpc"), VARS);
  const { call } = svc;
  await call("POST", "/v1/znodes/p");
  const s = await openSession(svc);
  const created = await ephemeral(svc, s, "/p/e");
  // Writes between the create and the expiry: finding the deletion needs history.
  for (const n of ["x", "y", "z"]) await call("POST", `/v1/znodes/${n}`);
  await expired(svc, s);
  // Compact everything up to now: the revision of the deletion is gone from history.
  const raw = createGrpcEtcd({ endpoints: [etcd.server().endpoint] });
  const now = (await raw.txn({})).revision;
  await raw.compact(now);
  await raw.close();
  const p = await call("GET", "/v1/znodes/p?view=stat");
  const pzxid = BigInt(p.body.stat.pzxid);
  // After every zxid before the expiry, and no later than the last one there is.
  expect(pzxid).toBeGreaterThan(created.zxid);
  expect(pzxid).toBeLessThanOrEqual(p.zxid);
  expect(p.body.stat).toMatchObject({ numChildren: 0, cversion: 2 });
  expect(BigInt((await call("POST", "/v1/znodes/next")).body.stat.czxid)).toBeGreaterThan(pzxid);
  expect((await call("GET", "/v1/stats")).body.compactedFallbacks).toBe(1);
});
