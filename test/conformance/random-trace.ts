// Randomized traces: a few sessions doing random creates (every mode), sets,
// deletes, reads, multis, closes, expiries and watches over a small path space, run in
// lockstep on ZooKeeper and the service and compared after every step.
//
// A trace is generated abstractly (fast-check arbitraries below) and made
// concrete as it runs: "the 2nd child of /a" or "the current version" are
// read from ZooKeeper's tree after the previous step (the service's tree was
// equal to it, or the trace has already failed). Steps that make no sense in
// the state reached (opening a live session, expiring a closed one, acting as
// a session never opened) are skipped, so any sub-trace fast-check shrinks to
// is still a valid trace.
import fc from "fast-check";
import { etcdClient } from "../support/service.js";
import { startEtcd } from "../support/etcd-server.js";
import { Divergence, Lockstep, EnvironmentFailure, nodeService, WorkerHost, startReferenceZooKeeper, type EtcdServer, type ZooKeeperServerHandle } from "./harness.js";
import { createHash } from "node:crypto";
import { isEphemeral, type Acl, type Mode, type MultiOp, type Op, type WatchKind } from "./ops.js";
import type { NSnapshot } from "./normalize.js";
import { ZkSide } from "./zk-side.js";
import { frontDoor } from "./frontdoor-side.js";

export const SESSIONS = 3;

/** Where creates go, relative to the trace's root: fixed names and sequential prefixes, depth ≤ 2. */
const FIXED = ["/a", "/a/b", "/c", "/c/d"] as const;
const PREFIXES = ["/q-", "/a/q-", "/c/q-"] as const;
const PARENTS = ["", "/a", "/c"] as const;

/** An anonymous actor (no session; "alice" is authenticated as alice) or a session by index. */
type Actor = "anon" | "alice" | number;
type Version = { kind: "any" } | { kind: "current" } | { kind: "stale" } | { kind: "n"; n: number };
/** A node: a fixed one, or the i-th child (in name order) of a parent, whatever is there then. */
type Target = { kind: "fixed"; path: string } | { kind: "child"; parent: string; i: number };
type Data = "" | "x" | "hello" | "bin";
/** ACLs a create or setACL may give: open, read-only, alice only ("auth": INVALIDACL without credentials), alice all and the world read. */
type AclChoice = "open" | "read" | "auth" | "alice+read";

export type MultiStep =
  | { k: "create"; where: string; mode: Mode; data: Data; acl: AclChoice }
  | { k: "delete" | "check"; target: Target; version: Version }
  | { k: "set"; target: Target; data: Data; version: Version };

export type Step =
  | { k: "create"; actor: Actor; where: string; mode: Mode; data: Data; acl: AclChoice }
  | { k: "setACL"; actor: Actor; target: Target; acl: AclChoice; version: Version }
  | { k: "getACL"; actor: Actor; target: Target }
  | { k: "set"; actor: Actor; target: Target; data: Data; version: Version }
  | { k: "delete"; actor: Actor; target: Target; version: Version }
  | { k: "read"; actor: Actor; op: "getData" | "exists" | "getChildren"; target: Target }
  | { k: "multi"; actor: Actor; ops: MultiStep[] }
  | { k: "multiRead"; target: Target; other: Target }
  | { k: "open"; s: number }
  | { k: "close"; s: number }
  | { k: "inspect"; s: number }
  | { k: "ping"; s: number }
  | { k: "expire"; s: number }
  /** A read that sets a watch; "events" asks every watch set so far for its first event. */
  | { k: "watch"; actor: Actor; kind: WatchKind; target: Target }
  | { k: "events" };

const sessionArb = fc.integer({ min: 0, max: SESSIONS - 1 });
const actorArb: fc.Arbitrary<Actor> = fc.oneof({ weight: 3, arbitrary: fc.constant("anon" as const) }, { weight: 1, arbitrary: fc.constant("alice" as const) }, { weight: 4, arbitrary: sessionArb });
const aclArb: fc.Arbitrary<AclChoice> = fc.oneof({ weight: 8, arbitrary: fc.constant("open" as const) }, { weight: 1, arbitrary: fc.constantFrom<AclChoice>("read", "auth", "alice+read") });
const dataArb: fc.Arbitrary<Data> = fc.constantFrom<Data>("", "x", "hello", "bin");
const versionArb: fc.Arbitrary<Version> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ kind: "any" } as const) },
  { weight: 4, arbitrary: fc.constant({ kind: "current" } as const) },
  { weight: 2, arbitrary: fc.constant({ kind: "stale" } as const) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 3 }).map((n) => ({ kind: "n", n }) as const) },
);
const targetArb: fc.Arbitrary<Target> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...FIXED).map((path) => ({ kind: "fixed", path }) as const) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("child" as const), parent: fc.constantFrom(...PARENTS), i: fc.nat({ max: 5 }) }) },
);
const nonSeqModes: Mode[] = ["persistent", "persistent", "persistent", "ephemeral", "ephemeral", "container", "persistent_with_ttl"];
const seqModes: Mode[] = ["persistent_sequential", "persistent_sequential", "ephemeral_sequential", "ephemeral_sequential", "persistent_sequential_with_ttl"];
const whereModeArb = fc.oneof(
  { weight: 3, arbitrary: fc.record({ where: fc.constantFrom<string>(...FIXED), mode: fc.constantFrom(...nonSeqModes) }) },
  { weight: 2, arbitrary: fc.record({ where: fc.constantFrom<string>(...PREFIXES), mode: fc.constantFrom(...seqModes) }) },
);

const multiStepArb: fc.Arbitrary<MultiStep> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ k: fc.constant("create" as const), data: dataArb, acl: aclArb }).chain((c) => whereModeArb.map((wm) => ({ ...c, ...wm }))) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant("delete" as const), target: targetArb, version: versionArb }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant("set" as const), target: targetArb, data: dataArb, version: versionArb }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant("check" as const), target: targetArb, version: versionArb }) },
);

export const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 30, arbitrary: fc.record({ k: fc.constant("create" as const), actor: actorArb, data: dataArb, acl: aclArb }).chain((c) => whereModeArb.map((wm) => ({ ...c, ...wm }))) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant("setACL" as const), actor: actorArb, target: targetArb, acl: aclArb, version: versionArb }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant("getACL" as const), actor: actorArb, target: targetArb }) },
  { weight: 12, arbitrary: fc.record({ k: fc.constant("set" as const), actor: actorArb, target: targetArb, data: dataArb, version: versionArb }) },
  { weight: 14, arbitrary: fc.record({ k: fc.constant("delete" as const), actor: actorArb, target: targetArb, version: versionArb }) },
  { weight: 6, arbitrary: fc.record({ k: fc.constant("read" as const), actor: actorArb, op: fc.constantFrom("getData" as const, "exists" as const, "getChildren" as const), target: targetArb }) },
  { weight: 10, arbitrary: fc.record({ k: fc.constant("multi" as const), actor: actorArb, ops: fc.array(multiStepArb, { minLength: 0, maxLength: 4 }) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant("multiRead" as const), target: targetArb, other: targetArb }) },
  { weight: 8, arbitrary: fc.record({ k: fc.constant("open" as const), s: sessionArb }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant("close" as const), s: sessionArb }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant("inspect" as const), s: sessionArb }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant("ping" as const), s: sessionArb }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant("expire" as const), s: sessionArb }) },
  { weight: 8, arbitrary: fc.record({ k: fc.constant("watch" as const), actor: actorArb, kind: fc.constantFrom<WatchKind>("data", "exists", "children"), target: targetArb }) },
  { weight: 3, arbitrary: fc.constant({ k: "events" as const }) },
);

/** A trace of exactly `steps` slots; shrinking empties slots (a slot of null is no step). */
export const traceArb = (steps: number) => fc.array(fc.option(stepArb, { nil: null, freq: 1_000_000 }), { minLength: steps, maxLength: steps });

const DATA: Record<Data, string | Uint8Array> = { "": "", x: "x", hello: "hello", bin: new Uint8Array([0, 255, 7]) };
const TTL_MS = 3_600_000;
export const ALICE = "alice:secret";
const ACLS: Record<AclChoice, Acl[]> = {
  open: [{ perms: "cdrwa", scheme: "world", id: "anyone" }],
  read: [{ perms: "r", scheme: "world", id: "anyone" }],
  auth: [{ perms: "cdrwa", scheme: "auth", id: "" }],
  "alice+read": [
    { perms: "cdrwa", scheme: "digest", id: `alice:${createHash("sha1").update(ALICE).digest("base64")}` },
    { perms: "r", scheme: "world", id: "anyone" },
  ],
};

type SessionState = "never" | "live" | "dead";

export interface TraceStats {
  traces: number;
  steps: number;
  executed: number;
  expiries: number;
  /** "events" answers that named an event (not none, unset or gone). */
  watchEvents: number;
  /** Traces run again after an EnvironmentFailure. */
  environmentRetries: number;
}

/** Runs one abstract trace under `root` in lockstep; throws on the first divergence. */
export async function runTrace(t: Lockstep, root: string, trace: (Step | null)[], stats: TraceStats, sessionTimeoutMs: number): Promise<void> {
  const states: SessionState[] = Array.from({ length: SESSIONS }, () => "never");
  let tree: NSnapshot = {};
  const label = (s: number) => `s${s}`;
  const abs = (rel: string) => root + rel;
  const step = async (actor: string, op: Op) => {
    stats.executed++;
    await t.step(actor, op);
    tree = t.lastReferenceTree;
  };
  const watches: { name: string; actor: string }[] = [];
  // Events change no tree: the trees are not read again after them.
  const events = async () => {
    for (const w of watches) {
      stats.executed++;
      const r = await t.step(w.actor, { op: "events", name: w.name }, undefined, { tree: false });
      if (r.event?.startsWith("Node")) stats.watchEvents++;
    }
  };
  const resolve = (target: Target): string => {
    if (target.kind === "fixed") return abs(target.path);
    const parent = abs(target.parent);
    const kids = tree[parent]?.children ?? [];
    if (kids.length === 0) return `${parent}/none`;
    return `${parent}/${kids[target.i % kids.length]}`;
  };
  const aversion = (v: Version, path: string) => pick(v, tree[path]?.stat?.aversion);
  const version = (v: Version, path: string) => pick(v, tree[path]?.stat?.version);
  const pick = (v: Version, current: number | undefined): number => {
    switch (v.kind) {
      case "any":
        return -1;
      case "current":
        return current ?? 0;
      case "stale":
        return current === undefined ? 1 : current === 0 ? 1 : current - 1;
      case "n":
        return v.n;
    }
  };
  /**
   * The actor a step runs as, or null to skip it: a session never opened acts
   * as "anon" instead, and an ephemeral create without a session is skipped
   * (the service refuses it, ZooKeeper has no such thing).
   */
  const actorOf = (a: Actor, mode?: Mode): string | null => {
    const who = typeof a === "number" && states[a] === "never" ? "anon" : typeof a === "number" ? label(a) : a;
    if ((who === "anon" || who === "alice") && mode && isEphemeral(mode)) return null;
    return who;
  };
  const createOp = (where: string, mode: Mode, data: Data, acl: AclChoice) => ({
    path: abs(where),
    data: DATA[data],
    mode,
    ...(acl === "open" ? {} : { acl: ACLS[acl] }),
    ...(mode.endsWith("_with_ttl") ? { ttlMs: TTL_MS } : {}),
  });

  await step("anon", { op: "create", path: root });
  for (const s of trace) {
    stats.steps++;
    if (s === null) continue;
    switch (s.k) {
      case "open":
        if (states[s.s] === "live") break;
        states[s.s] = "live";
        // Session 1 authenticates as alice, the others stay anonymous.
        await step(label(s.s), { op: "open", timeoutMs: sessionTimeoutMs, ...(s.s === 1 ? { auth: ALICE } : {}) });
        break;
      case "close":
        if (states[s.s] === "never") break;
        states[s.s] = "dead";
        await step(label(s.s), { op: "close" });
        break;
      case "inspect":
      case "ping":
        if (states[s.s] === "never") break;
        await step(label(s.s), { op: s.k });
        break;
      case "setACL": {
        const who = actorOf(s.actor);
        if (who === null) break;
        const path = resolve(s.target);
        await step(who, { op: "setACL", path, acl: ACLS[s.acl], aversion: aversion(s.version, path) });
        break;
      }
      case "getACL": {
        const who = actorOf(s.actor);
        if (who === null) break;
        await step(who, { op: "getACL", path: resolve(s.target) });
        break;
      }
      case "expire":
        if (states[s.s] !== "live") break;
        states[s.s] = "dead";
        stats.expiries++;
        await step(label(s.s), { op: "expire" });
        break;
      case "create": {
        const who = actorOf(s.actor, s.mode);
        if (who === null) break;
        await step(who, { op: "create", ...createOp(s.where, s.mode, s.data, s.acl) });
        break;
      }
      case "set": {
        const who = actorOf(s.actor);
        if (who === null) break;
        const path = resolve(s.target);
        await step(who, { op: "setData", path, data: DATA[s.data], version: version(s.version, path) });
        break;
      }
      case "delete": {
        const who = actorOf(s.actor);
        if (who === null) break;
        const path = resolve(s.target);
        await step(who, { op: "delete", path, version: version(s.version, path) });
        break;
      }
      case "read": {
        const who = actorOf(s.actor);
        if (who === null) break;
        await step(who, { op: s.op, path: resolve(s.target) });
        break;
      }
      case "watch": {
        const who = actorOf(s.actor);
        if (who === null) break;
        const name = `w${watches.length}`;
        watches.push({ name, actor: who });
        await step(who, { op: "watch", path: resolve(s.target), kind: s.kind, name });
        break;
      }
      case "events":
        await events();
        break;
      case "multiRead":
        await step("anon", { op: "multiRead", ops: [{ op: "getData", path: resolve(s.target) }, { op: "getChildren", path: resolve(s.other) }] });
        break;
      case "multi": {
        const who = actorOf(s.actor);
        if (who === null) break;
        const ops: MultiOp[] = [];
        for (const m of s.ops) {
          if (m.k === "create") {
            if ((who === "anon" || who === "alice") && isEphemeral(m.mode)) continue;
            ops.push({ op: "create", ...createOp(m.where, m.mode, m.data, m.acl) });
          } else {
            const path = resolve(m.target);
            const v = version(m.version, path);
            if (m.k === "set") ops.push({ op: "setData", path, data: DATA[m.data], version: v });
            else ops.push({ op: m.k === "delete" ? "delete" : "check", path, version: v });
          }
        }
        await step(who, { op: "multi", ops });
        break;
      }
    }
  }
  await events();
}

/** One ZooKeeper and one etcd, running traces one after another, each under its own root. */
export class Lane {
  private zk: ZooKeeperServerHandle | undefined;
  private etcd: EtcdServer | undefined;
  private client: ReturnType<typeof etcdClient> | undefined;
  private service: ReturnType<typeof nodeService> | undefined;
  /** The Worker's own etcd: two services writing to one etcd would spend each other's revisions. */
  private workerEtcd: EtcdServer | undefined;
  private worker: WorkerHost | undefined;
  private front: Awaited<ReturnType<typeof frontDoor>> | undefined;
  private traceNo = 0;
  private dirty = false;

  /**
   * `workerScript`: also compare the Worker (its bundle) in every trace.
   * `door`: the service's HTTP routes (in process), or its front door
   * (ZooKeeper's protocol, zkwire/) driven by the same wire client as ZooKeeper.
   */
  constructor(
    readonly id: number,
    private readonly sessionTimeoutMs: number,
    private readonly workerScript?: string,
    private readonly door: "http" | "frontdoor" = "http",
  ) {}

  async start(): Promise<void> {
    const [zk, etcd, workerEtcd] = await Promise.all([startReferenceZooKeeper(), startEtcd(), this.workerScript ? startEtcd() : undefined]);
    this.zk = zk;
    this.etcd = etcd;
    this.client = etcdClient("grpc", [etcd.endpoint]);
    this.service = nodeService(this.client, `lane${this.id}/`);
    if (this.door === "frontdoor") this.front = await frontDoor(this.client, `lane${this.id}/`);
    if (this.workerScript && workerEtcd) {
      this.workerEtcd = workerEtcd;
      this.worker = new WorkerHost(this.workerScript);
      await this.worker.bind(workerEtcd.endpoint, `lane${this.id}/`);
    }
    this.dirty = false;
  }

  async stop(): Promise<void> {
    await this.front?.server.close().catch(() => undefined);
    this.front = undefined;
    await this.client?.close().catch(() => undefined);
    await this.worker?.dispose().catch(() => undefined);
    await Promise.allSettled([this.zk?.stop(), this.etcd?.stop(), this.workerEtcd?.stop()]);
    this.zk = this.etcd = this.client = this.service = this.worker = this.workerEtcd = undefined;
  }

  /**
   * Runs one trace. Nothing else writes to this lane's ZooKeeper or etcd
   * meanwhile, so zxid offsets from the trace's start are comparable. After a
   * failure the lane restarts its servers: a half-finished trace may leave
   * sessions that would expire in the middle of the next one.
   */
  async run(trace: (Step | null)[], stats: TraceStats): Promise<void> {
    try {
      await this.once(trace, stats);
    } catch (e) {
      if (!(e instanceof EnvironmentFailure)) throw e;
      // ZooKeeper lost a session it was pinged for, or etcd stalled (a starved
      // machine): the trace showed nothing about semantics. Once more, on fresh servers.
      stats.environmentRetries++;
      console.warn(`lane ${this.id}: running the trace again on fresh servers: ${e.message.split("\n")[0]}`);
      await this.once(trace, stats);
    }
  }

  private async once(trace: (Step | null)[], stats: TraceStats): Promise<void> {
    if (this.dirty) {
      await this.stop();
      await this.start();
    }
    const root = `/t${++this.traceNo}`;
    const others = [this.front ? this.front.side() : this.service!.side(), ...(this.worker ? [this.worker.side()] : [])];
    const t = new Lockstep(new ZkSide(this.zk!.port), others, { roots: [root], withAcl: true, anonymous: [{ name: "alice", auth: ALICE }] });
    stats.traces++;
    try {
      await t.begin();
      await runTrace(t, root, trace, stats, this.sessionTimeoutMs);
    } catch (e) {
      // A divergence is found between steps, with every session in a known
      // state; anything else may leave a session counting down to expiry.
      if (!(e instanceof Divergence)) this.dirty = true;
      throw e;
    } finally {
      await t.end();
    }
  }
}

/** A trace as readable steps, for a failure report. */
export function showTrace(trace: (Step | null)[]): string {
  return trace
    .map((s, i) => (s === null ? null : `${i}: ${JSON.stringify(s)}`))
    .filter((x) => x !== null)
    .join("\n");
}
