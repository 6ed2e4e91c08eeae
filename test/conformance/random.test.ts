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
//   CONFORMANCE_TIME_LIMIT_MS  stop generating traces after this long (long runs)
//   CONFORMANCE_RANDOM_WORKER=1  compare the Worker under workerd in every trace too
import fc from "fast-check";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { afterAll, beforeAll, expect, it } from "vitest";
import { bundleWorker } from "./harness.js";
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
const TIME_LIMIT_MS = num("CONFORMANCE_TIME_LIMIT_MS", 0) || undefined;
const WORKER = process.env.CONFORMANCE_RANDOM_WORKER === "1";

let lanes: Lane[] = [];

beforeAll(async () => {
  const script = WORKER ? await bundleWorker() : undefined;
  lanes = Array.from({ length: LANES }, (_, i) => new Lane(i, SESSION_MS, script));
  await Promise.all(lanes.map((l) => l.start()));
}, 120_000);
afterAll(() => Promise.all(lanes.map((l) => l.stop())), 60_000);

it(`${RUNS} random traces of ${STEPS} steps agree with ZooKeeper (seed ${SEED}, ${LANES} lanes${WORKER ? ", Node and Worker" : ""})`, async () => {
  const started = Date.now();
  const deadline = TIME_LIMIT_MS === undefined ? undefined : started + TIME_LIMIT_MS;
  let stopped = false;
  const stats: TraceStats = { traces: 0, steps: 0, executed: 0, expiries: 0, watchEvents: 0, environmentRetries: 0 };
  // Sessions time out after a second here: a stalled event loop is reported with the progress.
  const lag = monitorEventLoopDelay({ resolution: 20 });
  lag.enable();
  const progress = setInterval(() => {
    const min = ((Date.now() - started) / 60_000).toFixed(1);
    const health = `event loop delay p99 ${(lag.percentile(99) / 1e6).toFixed(0)} ms, max ${(lag.max / 1e6).toFixed(0)} ms; ${process.getActiveResourcesInfo().length} handles; heap ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MB`;
    lag.reset();
    console.log(`conformance/random: ${min} min, ${stats.traces} traces, ${stats.executed} ops, ${stats.expiries} expiries, ${stats.watchEvents} watch events, ${stats.environmentRetries} reruns (${health})`);
  }, 60_000);
  const outcomes = await Promise.all(
    lanes.map(async (lane, i) => {
      const numRuns = Math.floor(RUNS / LANES) + (i < RUNS % LANES ? 1 : 0);
      let firstFailure: number | undefined;
      const property = fc.asyncProperty(traceArb(STEPS), async (trace) => {
        // Past the time limit the remaining runs pass unrun (a run in progress
        // finishes). Each yields to the event loop: thousands of runs resolved
        // in microtasks alone would starve the other lanes' pings for seconds.
        if (deadline !== undefined && Date.now() > deadline && firstFailure === undefined) {
          stopped = true;
          await new Promise((r) => setImmediate(r));
          return true;
        }
        // Shrinking re-runs whole traces (expiries take seconds): past the budget,
        // report the smallest failing trace found so far.
        if (firstFailure !== undefined && Date.now() - firstFailure > SHRINK_MS) return true;
        try {
          await lane.run(trace, stats);
          return true;
        } catch (e) {
          if (firstFailure === undefined) console.error(`lane ${i}: a trace failed (shrinking it now): ${String(e instanceof Error ? e.message : e).split("\n")[0]}`);
          firstFailure ??= Date.now();
          throw e;
        }
      });
      const details = await fc.check(property, { seed: SEED + i, numRuns, path: PATH, endOnFailure: false });
      return { lane: i, seed: SEED + i, details };
    }),
  );
  clearInterval(progress);
  lag.disable();
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(
    `conformance/random: ${stats.traces} traces run of ${RUNS} asked (× ${STEPS} steps; ${stats.executed} ops executed, ` +
      `${stats.expiries} expiries, ${stats.watchEvents} watch events, ${stats.environmentRetries} reruns after the environment failed) in ${seconds} s on ${LANES} lanes${WORKER ? " (Node and Worker)" : ""}, seed ${SEED}` +
      `${stopped ? `, stopped at the ${TIME_LIMIT_MS} ms time limit` : ""}`,
  );
  const failures = outcomes.filter((o) => o.details.failed);
  for (const f of failures) {
    const d = f.details;
    const error = d.errorInstance instanceof Error ? d.errorInstance.message : String(d.errorInstance);
    console.error(
      `lane ${f.lane}: a trace failed (seed ${f.seed}, path ${d.counterexamplePath}, after ${d.numShrinks} shrinks).\n` +
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
