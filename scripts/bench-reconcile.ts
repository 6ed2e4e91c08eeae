// Measures reconciliation (npm run bench:reconcile -- --parents N):
// etcd round trips per reconciled parent on a read, what a read pays when
// there is nothing to reconcile, and the scheduled run's scan rate over N
// parents whose ephemeral children expired. Reports only; asserts nothing.
import { parseArgs } from "node:util";
import { Ctx } from "../lib/context.js";
import { createGrpcEtcd } from "../lib/etcd/grpc.js";
import { runMaintenance } from "../lib/maintenance.js";
import { startEtcd } from "../test/support/etcd-server.js";
import { service } from "../test/support/service.js";

const { values } = parseArgs({ options: { parents: { type: "string", default: "10000" }, sessions: { type: "string", default: "10" } } });
const parents = Number(values.parents);
const sessions = Number(values.sessions);

const server = await startEtcd();
const etcd = createGrpcEtcd({ endpoints: [server.endpoint] });
try {
  const svc = service(etcd, { ZK_MIN_SESSION_TIMEOUT_MS: "1000", ZK_SCHEDULE_BATCH: String(2 * parents) });
  const { call } = svc;
  const trips = async (op: string) => (await call("GET", "/v1/stats")).body.operations[op]?.roundTrips ?? 0;

  async function inParallel(n: number, width: number, f: (i: number) => Promise<unknown>) {
    let next = 0;
    await Promise.all(Array.from({ length: width }, async () => {
      while (next < n) await f(next++);
    }));
  }
  async function expire(ids: string[]) {
    for (const id of ids) {
      while ((await call("GET", `/v1/sessions/${id}`)).status !== 410) await new Promise((r) => setTimeout(r, 200));
    }
  }

  // 1. One parent read when nothing needs reconciling, then right after its child expired.
  await call("POST", "/v1/znodes/one");
  const s = (await call("POST", "/v1/sessions", { json: { timeoutMs: 2000 } })).body.id;
  await call("POST", "/v1/znodes/one/e", { json: { mode: "ephemeral" }, headers: { "zk-session": s } });
  for (let i = 0; i < 50; i++) await call("POST", `/v1/znodes/filler${i}`); // history for the search to cover
  let t0 = await trips("exists");
  await call("GET", "/v1/znodes/one?view=stat");
  const clean = (await trips("exists")) - t0;
  await expire([s]);
  t0 = await trips("exists");
  await call("GET", "/v1/znodes/one?view=stat");
  const stale = (await trips("exists")) - t0;

  // 2. The scheduled run over many parents.
  const setupStart = Date.now();
  await inParallel(parents, 64, (i) => call("POST", `/v1/znodes/p${i}`));
  const ids: string[] = [];
  for (let i = 0; i < sessions; i++) ids.push((await call("POST", "/v1/sessions", { json: { timeoutMs: 4000 } })).body.id);
  // Kept alive while their ephemerals are created, then left to expire.
  const pinger = setInterval(() => ids.forEach((id) => void call("POST", `/v1/sessions/${id}/ping`)), 1000);
  await inParallel(parents, 64, (i) =>
    call("POST", `/v1/znodes/p${i}/e`, { json: { mode: "ephemeral" }, headers: { "zk-session": ids[i % sessions]! } }).then((r) => {
      if (r.status !== 201) throw new Error(`ephemeral create: ${r.status} ${JSON.stringify(r.body)}`);
    }),
  );
  clearInterval(pinger);
  const setupMs = Date.now() - setupStart;
  await expire(ids);
  const before = etcd.roundTrips().txn;
  const start = performance.now();
  const summary = await runMaintenance(new Ctx(etcd, svc.config));
  const ms = performance.now() - start;
  const txns = etcd.roundTrips().txn - before;
  const check = (await call("GET", "/v1/stats")).body;

  console.log(`etcd round trips for a read of one znode, nothing to reconcile: ${clean}`);
  console.log(`etcd round trips for a read that reconciles its znode (one expired child, 50 writes of history): ${stale}`);
  console.log(`scheduled run over ${parents} parents (${sessions} expired sessions): scanned ${summary.scanned}, reconciled ${summary.reconciled} in ${ms.toFixed(0)} ms = ${((summary.reconciled / ms) * 1000).toFixed(0)} parents/s, ${txns} etcd txns (${(txns / summary.reconciled).toFixed(2)} per parent)`);
  console.log(`after the run: pendingReconciliations ${check.pendingReconciliations}, nonZooKeeperWrites ${check.nonZooKeeperWrites} (setup took ${setupMs} ms)`);
} finally {
  await etcd.close();
  await server.stop();
}
