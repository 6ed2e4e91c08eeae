// npm run conformance -- [--runs N] [--steps S] [--lanes L] [--seed X] [--minutes M] [--worker] [--frontdoor] [--random-only]
//
// The conformance suite (test/conformance) with a long randomized run: N
// traces of S steps (default 10000 × 30) on L lanes (default 3), from seed X
// (default: a fresh one, printed), stopping early after M minutes if given.
// --worker also compares the Worker under workerd in every random trace;
// --frontdoor runs the long random run through the front door (ZooKeeper's
// protocol, random-frontdoor.test.ts) instead of the HTTP API;
// --random-only skips the scripted scenarios. A failure prints the seed and
// fast-check's path that replay it.
import { spawn } from "node:child_process";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "10000" },
    steps: { type: "string", default: "30" },
    lanes: { type: "string", default: "3" },
    seed: { type: "string" },
    minutes: { type: "string" },
    worker: { type: "boolean", default: false },
    frontdoor: { type: "boolean", default: false },
    "random-only": { type: "boolean", default: false },
  },
  strict: true,
});

const int = (name: string, v: string | undefined): number => {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, not ${v}`);
  return n;
};
const runs = int("runs", values.runs);
const steps = int("steps", values.steps);
const lanes = int("lanes", values.lanes);
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : int("seed", values.seed);
const limitMs = values.minutes === undefined ? 0 : Math.round(Number(values.minutes) * 60_000);
if (values.minutes !== undefined && !(limitMs > 0)) throw new Error(`--minutes must be a positive number, not ${values.minutes}`);

// Room for every trace at a few seconds each, or for the time limit and a last trace's shrinking.
const timeoutMs = limitMs > 0 ? limitMs + 10 * 60_000 : Math.max(15 * 60_000, Math.ceil((runs * 3_000) / lanes));

const env = {
  ...process.env,
  CONFORMANCE_RUNS: String(runs),
  CONFORMANCE_STEPS: String(steps),
  CONFORMANCE_LANES: String(lanes),
  CONFORMANCE_SEED: String(seed),
  CONFORMANCE_TIME_LIMIT_MS: String(limitMs),
  CONFORMANCE_TIMEOUT_MS: String(timeoutMs),
  ...(values.worker ? { CONFORMANCE_RANDOM_WORKER: "1" } : {}),
  // The long run goes through one door; the other keeps its CI size.
  ...(values.frontdoor
    ? { CONFORMANCE_FRONTDOOR_RUNS: String(runs), CONFORMANCE_FRONTDOOR_LANES: String(lanes), CONFORMANCE_RUNS: "200", CONFORMANCE_LANES: "3" }
    : {}),
};
const random = values.frontdoor ? "test/conformance/random-frontdoor.test.ts" : "test/conformance/random.test.ts";
const target = values["random-only"] ? random : "test/conformance";
console.log(
  `conformance: ${runs} random traces × ${steps} steps on ${lanes} lanes, seed ${seed}` +
    `${limitMs ? `, at most ${values.minutes} min` : ""}${values.worker ? ", Worker too" : ""}${values.frontdoor ? ", through the front door" : ""}; vitest run ${target}`,
);
const child = spawn("npx", ["vitest", "run", target], { env, stdio: "inherit" });
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
