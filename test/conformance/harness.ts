// The lockstep runner: one op at a time on every side, then every side's
// answer and tree compared with ZooKeeper's, field by field (normalize.ts).
// Plus the servers a comparison needs: a fresh ZooKeeper 3.8, a fresh etcd
// per service side, the service in process on Node and as the Worker.
import { bundleWorker, COMPATIBILITY_DATE } from "../support/worker.js";
import { Miniflare } from "miniflare";
import { createApp } from "../../functions/app.js";
import { runScheduled } from "../../scheduled/index.js";
import { configFrom, type ConfigVars } from "../../lib/config.js";
import type { Etcd } from "../../lib/etcd/types.js";
import { startEtcd, type EtcdServer } from "../support/etcd-server.js";
import { etcdClient } from "../support/service.js";
import { startZooKeeper, type ZooKeeperServerHandle } from "../support/zookeeper-server.js";
import { describeOp, type Op } from "./ops.js";
import { diff, type NResult, type NSnapshot } from "./normalize.js";
import { httpTarget, ServiceSide } from "./service-side.js";
import type { Anonymous, Side } from "./side.js";
import { ZkSide } from "./zk-side.js";
import { frontDoor } from "./frontdoor-side.js";

/** ZooKeeper's tickTime for every comparison: session timeouts negotiate to [1000, 10000] ms. */
export const TICK_MS = 500;

export class Divergence extends Error {
  override name = "Divergence";
}

/**
 * The trace says nothing about ZooKeeper semantics: the reference misbehaved
 * (a session it lost on a starved machine, a server that would not start), or
 * the service's etcd did not answer in time (503 CONNECTIONLOSS, its documented
 * answer). Random traces run again on fresh servers after one.
 */
export class EnvironmentFailure extends Error {
  override name = "EnvironmentFailure";
}

/** How long one side may take over one op or one tree read (an expiry waits up to EXPIRY_DEADLINE_MS inside). */
export const STEP_TIMEOUT_MS = 60_000;

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export interface TraceOptions {
  /** Where the compared tree starts ("/" for a fresh server). */
  roots: string[];
  /** Compare every node's ACL too (one more request per node). */
  withAcl: boolean;
  anonymous?: Anonymous[];
}

interface Observation {
  result: NResult;
  tree: NSnapshot;
  violations: string[];
}

export class Lockstep {
  readonly log: string[] = [];
  /** ZooKeeper's tree after the last step that read the trees. */
  lastReferenceTree: NSnapshot = {};
  private stepNo = 0;

  constructor(
    readonly reference: Side,
    readonly others: Side[],
    private readonly opts: TraceOptions,
  ) {}

  get sides(): Side[] {
    return [this.reference, ...this.others];
  }

  async begin(): Promise<void> {
    await Promise.all(
      this.sides.map((s, i) =>
        within(s.begin(this.opts.anonymous ?? []), STEP_TIMEOUT_MS, `${s.name}'s start`).catch((e: Error) => {
          throw i === 0 ? new EnvironmentFailure(e.message, { cause: e }) : e;
        }),
      ),
    );
    // The trees must agree before anything is done to them.
    await this.compare("(start)", async (s) => ({ code: "OK", zxid: await s.lastZxid() }));
  }

  /**
   * Runs `op` as `actor` on every side at once, then compares. Returns
   * ZooKeeper's outcome; `expectCode` checks that the scenario got ZooKeeper
   * where it meant to (a scenario's own sanity, not the comparison).
   */
  async step(actor: string, op: Op, expectCode?: string, opts: { tree?: boolean } = {}): Promise<NResult> {
    const label = `${++this.stepNo}. ${describeOp(actor, op)}`;
    this.log.push(label);
    const ref = await this.compare(label, (s) => s.run(actor, op), opts.tree ?? true);
    if (expectCode !== undefined && ref.code !== expectCode) {
      throw new Error(`scenario expected ZooKeeper to answer ${expectCode} at step ${label}, it answered ${ref.code}`);
    }
    return ref;
  }

  /** `tree: false` skips reading the trees after this step (the next step's read then is the first to see its effects). */
  private async compare(label: string, act: (s: Side) => Promise<NResult>, tree = true): Promise<NResult> {
    const results = await Promise.all(this.sides.map((s) => within(act(s), STEP_TIMEOUT_MS, `${s.name}'s answer`).catch((e: unknown) => e)));
    const failed = results.findIndex((r) => r instanceof Error);
    if (failed >= 0) {
      const e = results[failed] as Error;
      const Failure = failed === 0 || (this.sides[failed]!.outages?.() ?? []).length > 0 ? EnvironmentFailure : Error;
      throw new Failure(`${this.sides[failed]!.name} failed at step ${label}: ${e.message}\ntrace:\n  ${this.log.join("\n  ")}`, { cause: e });
    }
    let trees: NSnapshot[];
    try {
      trees = tree
        ? await Promise.all(this.sides.map((s) => within(s.snapshot(this.opts.roots, this.opts.withAcl), STEP_TIMEOUT_MS, `${s.name}'s tree read after step ${label}`)))
        : this.sides.map(() => ({}));
    } catch (e) {
      const outages = this.sides.flatMap((s) => s.outages?.() ?? []);
      if (outages.length > 0) throw new EnvironmentFailure(`etcd was unavailable reading the trees after step ${label}: ${outages.join("; ")}`, { cause: e });
      throw e;
    }
    if (tree) this.lastReferenceTree = trees[0]!;
    const seen: Observation[] = this.sides.map((s, i) => ({ result: results[i] as NResult, tree: trees[i]!, violations: s.violations() }));
    const ref = seen[0]!;
    if (process.env.CONFORMANCE_DEBUG) {
      const show = (o: unknown) => JSON.stringify(o);
      console.log(`${label}\n${this.sides.map((s, i) => `  ${s.name}: ${show(seen[i]!.result)}${process.env.CONFORMANCE_DEBUG === "tree" ? `\n    tree: ${show(seen[i]!.tree)}` : ""}`).join("\n")}`);
    }
    const outages = this.sides.flatMap((s) => s.outages?.() ?? []);
    if (outages.length > 0) throw new EnvironmentFailure(`etcd was unavailable at step ${label}: ${outages.join("; ")}\ntrace:\n  ${this.log.join("\n  ")}`);
    if (ref.violations.length > 0) throw new EnvironmentFailure(`ZooKeeper itself broke an invariant at step ${label}: ${ref.violations.join("; ")}\ntrace:\n  ${this.log.join("\n  ")}`);
    const lines: string[] = [];
    this.others.forEach((side, i) => {
      const d = diff(ref, seen[i + 1], [this.reference.name, side.name]);
      if (d.length > 0) lines.push(`  ${side.name} vs ${this.reference.name}:`, ...d.map((x) => `    ${x}`));
    });
    if (lines.length > 0) {
      throw new Divergence(`divergence at step ${label}\n${lines.join("\n")}\ntrace:\n  ${this.log.join("\n  ")}`);
    }
    return ref.result;
  }

  async end(): Promise<void> {
    await Promise.allSettled(this.sides.map((s) => within(s.end(), STEP_TIMEOUT_MS, `${s.name}'s end`)));
  }
}

// ---------------------------------------------------------------- servers

/** Keeps `depth` servers starting ahead of use. */
export class Prefetch<T> {
  private queue: Promise<T>[] = [];

  constructor(
    private readonly make: () => Promise<T>,
    private readonly depth = 1,
  ) {}

  warm(): void {
    while (this.queue.length < this.depth) {
      const p = this.make();
      p.catch(() => undefined);
      this.queue.push(p);
    }
  }

  take(): Promise<T> {
    this.warm();
    const p = this.queue.shift()!;
    this.warm();
    return p;
  }

  /** Hands what was started ahead to `dispose`. */
  async drain(dispose: (t: T) => Promise<unknown>): Promise<void> {
    const q = this.queue.splice(0);
    await Promise.all(q.map((p) => p.then(dispose, () => undefined)));
  }
}

/**
 * A standalone ZooKeeper 3.8 for comparisons: tickTime 500. Its container/TTL
 * reaper would delete nodes at moments of its own choosing, spending zxids
 * mid-trace (the service reaps only when its cron runs), so it runs only every
 * `reaperMs` when a scenario asks for it, else once a day.
 */
export function startReferenceZooKeeper(reaperMs = 86_400_000): Promise<ZooKeeperServerHandle> {
  return startZooKeeper({ tickTime: TICK_MS, jvmArgs: [`-Dznode.container.checkIntervalMs=${reaperMs}`] });
}

export const SERVICE_VARS: ConfigVars = {
  ZK_TICK_TIME_MS: String(TICK_MS),
  ZK_ALLOW_ANONYMOUS: "true",
};

/** The Node build in process: createApp over etcd's gRPC transport, as functions/node.ts serves it (its interval job run on demand). */
export function nodeService(etcd: Etcd, prefix: string): { side: (name?: string) => ServiceSide } {
  const vars: ConfigVars = { ...SERVICE_VARS, ZK_PREFIX: prefix, ETCD_ENDPOINTS: "http://unused" };
  const config = configFrom(vars);
  const app = createApp({ config: () => config, etcd: () => etcd, clientIp: () => "127.0.0.1" });
  const target = httpTarget((url, init) => Promise.resolve(app.request(url, init)));
  return { side: (name = "node") => new ServiceSide(name, target, () => quietly(() => runScheduled(etcd, vars))) };
}

/** Runs `f` without the scheduled job's summary line on stdout. */
async function quietly(f: () => Promise<void>): Promise<void> {
  const log = console.log;
  console.log = () => undefined;
  try {
    await f();
  } finally {
    console.log = log;
  }
}

export { bundleWorker };

/** One workerd, rebound to a fresh etcd and key prefix for each comparison. */
export class WorkerHost {
  private mf: Miniflare | undefined;

  constructor(private readonly script: string) {}

  private options(endpoint: string, prefix: string) {
    return {
      modules: true,
      script: this.script,
      compatibilityDate: COMPATIBILITY_DATE,
      bindings: { ...SERVICE_VARS, ETCD_ENDPOINTS: endpoint, ZK_PREFIX: prefix } as Record<string, string>,
      unsafeTriggerHandlers: true,
    };
  }

  /** Points the Worker at an etcd and key prefix (its bindings), and returns a side speaking to it. */
  async bind(endpoint: string, prefix: string): Promise<ServiceSide> {
    if (!this.mf) {
      this.mf = new Miniflare(this.options(endpoint, prefix));
      await this.mf.ready;
    } else {
      await this.mf.setOptions(this.options(endpoint, prefix));
    }
    return this.side();
  }

  /** A fresh side (new session names, new base) on the current bindings. */
  side(): ServiceSide {
    const mf = this.mf!;
    // workerd sees the caller's address in CF-Connecting-IP, as Cloudflare sets it.
    const target = httpTarget((url, init) => mf.dispatchFetch(url, init as any) as unknown as Promise<Response>, { "cf-connecting-ip": "127.0.0.1" });
    const cron = async () => {
      // Typed by hand: miniflare's Fetcher type needs @cloudflare/workers-types.
      const worker = (await mf.getWorker()) as unknown as { scheduled(o: { cron?: string }): Promise<{ outcome: string }> };
      const r = await worker.scheduled({ cron: "* * * * *" });
      if (r.outcome !== "ok") throw new Error(`the Worker's scheduled handler ended ${r.outcome}`);
    };
    return new ServiceSide("worker", target, cron);
  }

  async dispose(): Promise<void> {
    await this.mf?.dispose();
    this.mf = undefined;
  }
}

export interface ScenarioOptions {
  anonymous?: Anonymous[];
  roots?: string[];
  withAcl?: boolean;
  /** Let ZooKeeper's container/TTL reaper run every this many ms (a scenario with a "reap" step). */
  reaperMs?: number;
}

/** Servers for scripted scenarios: a fresh ZooKeeper and fresh etcds for every scenario, started ahead. */
export class ScriptedEnv {
  private readonly zks = new Prefetch(startReferenceZooKeeper);
  private readonly etcds = new Prefetch(startEtcd, 3);
  private worker: WorkerHost | undefined;
  private scenarios = 0;

  /** `withFrontDoor`: also compare the front door (zkwire/, ZooKeeper's own protocol) on its own etcd. */
  constructor(
    private readonly withWorker: boolean,
    private readonly withFrontDoor = false,
  ) {}

  async init(): Promise<void> {
    this.zks.warm();
    this.etcds.warm();
    if (this.withWorker) this.worker = new WorkerHost(await bundleWorker());
  }

  /**
   * Runs one scenario on fresh servers, comparing the Node build (and the
   * Worker) with ZooKeeper; once more on fresh servers after an EnvironmentFailure.
   */
  async run(opts: ScenarioOptions, body: (t: Lockstep) => Promise<void>): Promise<void> {
    try {
      await this.once(opts, body);
    } catch (e) {
      if (!(e instanceof EnvironmentFailure)) throw e;
      console.warn(`running the scenario again on fresh servers: ${e.message.split("\n")[0]}`);
      await this.once(opts, body);
    }
  }

  private async once(opts: ScenarioOptions, body: (t: Lockstep) => Promise<void>): Promise<void> {
    const n = ++this.scenarios;
    const [zk, etcdNode, etcdWorker, etcdFront] = await Promise.all([
      opts.reaperMs === undefined ? this.zks.take() : startReferenceZooKeeper(opts.reaperMs),
      this.etcds.take(),
      this.withWorker ? this.etcds.take() : Promise.resolve(undefined),
      this.withFrontDoor ? this.etcds.take() : Promise.resolve(undefined),
    ]);
    const nodeEtcd = etcdClient("grpc", [etcdNode.endpoint]);
    const others: Side[] = [nodeService(nodeEtcd, `c${n}/`).side()];
    if (this.worker && etcdWorker) others.push(await this.worker.bind(etcdWorker.endpoint, `c${n}/`));
    // Its own etcd: two services on one etcd would spend each other's revisions.
    const frontEtcd = etcdFront ? etcdClient("grpc", [etcdFront.endpoint]) : undefined;
    const front = frontEtcd ? await frontDoor(frontEtcd, `c${n}/`) : undefined;
    if (front) others.push(front.side());
    const t = new Lockstep(new ZkSide(zk.port, opts.reaperMs), others, { roots: opts.roots ?? ["/"], withAcl: opts.withAcl ?? true, anonymous: opts.anonymous });
    try {
      await t.begin();
      await body(t);
    } finally {
      await t.end();
      await front?.server.close().catch(() => undefined);
      await nodeEtcd.close().catch(() => undefined);
      await frontEtcd?.close().catch(() => undefined);
      void Promise.allSettled([zk.stop(), etcdNode.stop(), etcdWorker?.stop(), etcdFront?.stop()]);
    }
  }

  async close(): Promise<void> {
    await this.worker?.dispose();
    await Promise.all([this.zks.drain((z) => z.stop()), this.etcds.drain((e) => e.stop())]);
  }
}

export type { EtcdServer, ZooKeeperServerHandle };
