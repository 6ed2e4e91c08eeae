// `npx tsx scripts/profile-summary.ts FILE.cpuprofile [--top N]`: where a CPU
// profile (node --cpu-prof, `npm run bench -- --profile DIR`) spent its time:
// self time per package or project folder and the top functions, then the
// functions with the most time spent in them and below (inclusive). Idle and
// garbage collection are listed on their own lines.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const { values, positionals } = parseArgs({ options: { top: { type: "string", default: "25" } }, allowPositionals: true });
if (positionals.length !== 1) {
  console.error("usage: npx tsx scripts/profile-summary.ts FILE.cpuprofile [--top N]");
  process.exit(2);
}
const profile = JSON.parse(readFileSync(positionals[0]!, "utf8")) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

// Self time per node, from the samples and the time between them (µs).
const self = new Map<number, number>();
profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));

/** Which package, project folder or runtime part a frame belongs to. */
function area(url: string, name: string): string {
  if (name === "(idle)" || name === "(garbage collector)" || name === "(program)") return name;
  if (url === "") return "(native)";
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith("node:")) return `node:${url.slice(5).split("/")[0]}`;
  const project = /\/(lib\/etcd|lib|functions|zkwire|scheduled|client|recipes)\//.exec(url);
  return project ? `${project[1]}/` : url;
}

const total = [...self.values()].reduce((a, b) => a + b, 0);
const busy = total - [...self].filter(([id]) => byId.get(id)!.callFrame.functionName === "(idle)").reduce((a, [, t]) => a + t, 0);
const areas = new Map<string, number>();
const functions = new Map<string, number>();
for (const [id, t] of self) {
  const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
  const a = area(url, functionName);
  areas.set(a, (areas.get(a) ?? 0) + t);
  const key = `${functionName || "(anonymous)"} ${a}${url ? `:${lineNumber + 1}` : ""}`;
  functions.set(key, (functions.get(key) ?? 0) + t);
}

const keyOf = (id: number) => {
  const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
  return `${functionName || "(anonymous)"} ${area(url, functionName)}${url ? `:${lineNumber + 1}` : ""}`;
};
// Inclusive: each sample counts once for every distinct function on its stack.
const inclusive = new Map<string, number>();
profile.samples.forEach((leaf, i) => {
  const seen = new Set<string>();
  for (let id: number | undefined = leaf; id !== undefined; id = parent.get(id)) seen.add(keyOf(id));
  for (const k of seen) inclusive.set(k, (inclusive.get(k) ?? 0) + (profile.timeDeltas[i] ?? 0));
});

const pct = (t: number) => `${((100 * t) / busy).toFixed(1).padStart(5)}%`;
const ms = (t: number) => `${(t / 1000).toFixed(0).padStart(7)} ms`;
console.log(`${(total / 1e6).toFixed(1)} s profiled, ${(busy / 1e6).toFixed(1)} s not idle; shares are of the time not idle\n`);
console.log("by area (self time)");
for (const [a, t] of [...areas].sort((x, y) => y[1] - x[1]).filter(([a]) => a !== "(idle)")) console.log(`${ms(t)} ${pct(t)}  ${a}`);
console.log(`\ntop ${values.top} functions (self time)`);
for (const [f, t] of [...functions].sort((x, y) => y[1] - x[1]).filter(([f]) => !f.startsWith("(idle)")).slice(0, Number(values.top))) console.log(`${ms(t)} ${pct(t)}  ${f}`);
console.log(`\ntop ${values.top} functions (inclusive time)`);
for (const [f, t] of [...inclusive].sort((x, y) => y[1] - x[1]).filter(([f]) => !/^\((idle|root|program|garbage collector)\)/.test(f)).slice(0, Number(values.top)))
  console.log(`${ms(t)} ${pct(t)}  ${f}`);
