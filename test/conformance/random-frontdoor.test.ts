// Randomized conformance traces (random-trace.ts) through the front door:
// ZooKeeper 3.8 and zkwire/ on etcd, both driven over ZooKeeper's protocol by
// the same wire client, compared after every step. Fewer traces than
// random.test.ts (which covers the same semantics over HTTP): CI runs 100.
//   CONFORMANCE_FRONTDOOR_RUNS, CONFORMANCE_STEPS, CONFORMANCE_FRONTDOOR_LANES  sizes (100, 30, 2)
//   CONFORMANCE_SEED      base seed (lane i uses seed+i); printed on failure
//   CONFORMANCE_PATH      fast-check's replay path of a failure (with LANES=1)
// Long runs: `npm run conformance -- --frontdoor --random-only --runs N`.
import fc from "fast-check";
import { afterAll, beforeAll, expect, it } from "vitest";
import { Lane, traceArb, type TraceStats } from "./random-trace.js";

const num = (name: string, fallback: number) => {
  const v = process.env[name];
  return v === undefined || v === "" ? fallback : Number(v);
};
const RUNS = num("CONFORMANCE_FRONTDOOR_RUNS", 100);
const STEPS = num("CONFORMANCE_STEPS", 30);
const LANES = Math.max(1, Math.min(num("CONFORMANCE_FRONTDOOR_LANES", 2), RUNS));
const SEED = num("CONFORMANCE_SEED", 20251129);
const PATH = process.env.CONFORMANCE_PATH || undefined;
const SESSION_MS = num("CONFORMANCE_SESSION_MS", 1000);
const TIMEOUT_MS = num("CONFORMANCE_TIMEOUT_MS", 12 * 60_000);
const TIME_LIMIT_MS = num("CONFORMANCE_TIME_LIMIT_MS", 0) || undefined;

let lanes: Lane[] = [];

beforeAll(async () => {
  lanes = Array.from({ length: LANES }, (_, i) => new Lane(i, SESSION_MS, undefined, "frontdoor"));
  await Promise.all(lanes.map((l) => l.start()));
}, 120_000);
afterAll(() => Promise.all(lanes.map((l) => l.stop())), 60_000);

it(`${RUNS} random traces of ${STEPS} steps through the front door agree with ZooKeeper (seed ${SEED}, ${LANES} lanes)`, async () => {
  const started = Date.now();
  const deadline = TIME_LIMIT_MS === undefined ? undefined : started + TIME_LIMIT_MS;
  const stats: TraceStats = { traces: 0, steps: 0, executed: 0, expiries: 0, watchEvents: 0, environmentRetries: 0 };
  const outcomes = await Promise.all(
    lanes.map(async (lane, i) => {
      const numRuns = Math.floor(RUNS / LANES) + (i < RUNS % LANES ? 1 : 0);
      const property = fc.asyncProperty(traceArb(STEPS), async (trace) => {
        // Past a long run's time limit the remaining runs pass unrun.
        if (deadline !== undefined && Date.now() > deadline) {
          await new Promise((r) => setImmediate(r));
          return true;
        }
        await lane.run(trace, stats);
        return true;
      });
      // No shrinking budget here: a failure is reported as found, with its replay path.
      const details = await fc.check(property, { seed: SEED + i, numRuns, path: PATH, endOnFailure: true });
      return { lane: i, seed: SEED + i, details };
    }),
  );
  console.log(
    `conformance/random-frontdoor: ${stats.traces} traces (× ${STEPS} steps; ${stats.executed} ops, ${stats.expiries} expiries, ` +
      `${stats.watchEvents} watch events, ${stats.environmentRetries} reruns) in ${((Date.now() - started) / 1000).toFixed(1)} s on ${LANES} lanes, seed ${SEED}`,
  );
  const failures = outcomes.filter((o) => o.details.failed);
  for (const f of failures) {
    console.error(
      `lane ${f.lane}: a trace failed (seed ${f.seed}, path ${f.details.counterexamplePath}).\n` +
        `Replay: CONFORMANCE_SEED=${f.seed} CONFORMANCE_FRONTDOOR_LANES=1 CONFORMANCE_FRONTDOOR_RUNS=${f.details.numRuns} CONFORMANCE_PATH=${f.details.counterexamplePath} npx vitest run test/conformance/random-frontdoor.test.ts`,
    );
  }
  expect(failures.map((f) => `seed ${f.seed} path ${f.details.counterexamplePath}: ${f.details.errorInstance instanceof Error ? f.details.errorInstance.message : String(f.details.errorInstance)}`)).toEqual([]);
}, TIMEOUT_MS);
