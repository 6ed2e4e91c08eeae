// Randomized conformance traces (random-trace.ts) against ZooKeeper 3.8 and
// the Node build in process, compared after every step.
//
// CI size: 200 traces of 30 steps, spread over a few lanes (each lane its own
// ZooKeeper and etcd, running its traces one after another). Long local runs:
// `npm run conformance -- --runs N` (scripts/conformance.ts). Environment:
//   CONFORMANCE_RUNS, CONFORMANCE_STEPS, CONFORMANCE_LANES  sizes (200, 30, 3)
//   CONFORMANCE_SEED      base seed (lane i uses seed+i); printed on failure
//   CONFORMANCE_PATH      fast-check's replay path of a failure (with LANES=1)
//   CONFORMANCE_SESSION_MS  session timeout of the traces' sessions (1000)
//   CONFORMANCE_SHRINK_MS   how long to keep shrinking a failure (120000)
import fc from "fast-check";
import { afterAll, beforeAll, expect, it } from "vitest";
import { Lane, traceArb, type TraceStats } from "./random-trace.js";

const num = (name: string, fallback: number) => {
  const v = process.env[name];
  return v === undefined || v === "" ? fallback : Number(v);
};
const RUNS = num("CONFORMANCE_RUNS", 200);
const STEPS = num("CONFORMANCE_STEPS", 30);
const LANES = Math.max(1, Math.min(num("CONFORMANCE_LANES", 3), RUNS));
const SEED = num("CONFORMANCE_SEED", 20251129);
const PATH = process.env.CONFORMANCE_PATH || undefined;
const SESSION_MS = num("CONFORMANCE_SESSION_MS", 1000);
const SHRINK_MS = num("CONFORMANCE_SHRINK_MS", 120_000);
const TIMEOUT_MS = num("CONFORMANCE_TIMEOUT_MS", 15 * 60_000);

const lanes = Array.from({ length: LANES }, (_, i) => new Lane(i, SESSION_MS));

beforeAll(() => Promise.all(lanes.map((l) => l.start())), 120_000);
afterAll(() => Promise.all(lanes.map((l) => l.stop())), 60_000);

it(`${RUNS} random traces of ${STEPS} steps agree with ZooKeeper (seed ${SEED}, ${LANES} lanes)`, async () => {
  const started = Date.now();
  const stats: TraceStats = { traces: 0, steps: 0, executed: 0, expiries: 0 };
  const outcomes = await Promise.all(
    lanes.map(async (lane, i) => {
      const numRuns = Math.floor(RUNS / LANES) + (i < RUNS % LANES ? 1 : 0);
      let firstFailure: number | undefined;
      const property = fc.asyncProperty(traceArb(STEPS), async (trace) => {
        // Shrinking re-runs whole traces (expiries take seconds): past the budget,
        // report the smallest failing trace found so far.
        if (firstFailure !== undefined && Date.now() - firstFailure > SHRINK_MS) return true;
        try {
          await lane.run(trace, stats);
          return true;
        } catch (e) {
          firstFailure ??= Date.now();
          throw e;
        }
      });
      const details = await fc.check(property, { seed: SEED + i, numRuns, path: PATH, endOnFailure: false });
      return { lane: i, seed: SEED + i, details };
    }),
  );
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(
    `conformance/random: ${stats.traces} traces run (${RUNS} generated × ${STEPS} steps, ${stats.executed} ops executed, ` +
      `${stats.expiries} expiries) in ${seconds} s on ${LANES} lanes, seed ${SEED}`,
  );
  const failures = outcomes.filter((o) => o.details.failed);
  for (const f of failures) {
    const d = f.details;
    const error = d.errorInstance instanceof Error ? d.errorInstance.message : String(d.errorInstance);
    console.error(
      `lane ${f.lane}: a trace diverged (seed ${f.seed}, path ${d.counterexamplePath}, after ${d.numShrinks} shrinks).\n` +
        `Replay: CONFORMANCE_SEED=${f.seed} CONFORMANCE_LANES=1 CONFORMANCE_RUNS=${d.numRuns} CONFORMANCE_PATH=${d.counterexamplePath} npx vitest run test/conformance/random.test.ts\n` +
        error,
    );
  }
  expect(
    failures.map((f) => {
      const e = f.details.errorInstance;
      return `seed ${f.seed} path ${f.details.counterexamplePath}: ${e instanceof Error ? e.message : String(e)}`;
    }),
  ).toEqual([]);
}, TIMEOUT_MS);
