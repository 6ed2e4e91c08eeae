// One consistent read of everything an operation needs, in one etcd round trip.
// The snapshot also remembers every key it saw, so the write that follows can
// be guarded by exactly what it was decided on. Reading writes nothing: what a
// read may have to repair first (a tree not yet made, expired ephemerals) is
// settle.ts's.
import type { Ctx } from "./context.js";
import type { Bytes, KeyValue, RangeRequest, RangeResponse, RequestOp, ResponseOp } from "./etcd/types.js";
import { isAnswerTooLarge } from "./etcd/errors.js";
import { sessionNotLive, ZkError } from "./errors.js";
import type { ZNode } from "./model.js";
import type { Part } from "./plan.js";
import { basename } from "./path.js";
import { decodeAcl, decodeCounter, decodeElistEntry, decodeNode, offsetOf, resolveZxid } from "./records.js";

export interface ReadSet {
  /** Znodes to load with their stat, data and ACL. */
  paths?: Iterable<string>;
  /** Znodes whose child names to list. */
  childrenOf?: Iterable<string>;
  /** Sessions whose liveness to check. */
  sessions?: Iterable<bigint>;
  /** Sessions whose ephemerals to list. */
  ephemeralsOf?: Iterable<bigint>;
  /** Other ranges to read in the same txn, answered as etcd answers them. */
  ranges?: RangeRequest[];
  /**
   * Of `paths`, znodes whose children need not be counted: etcd counts a
   * range key by key, so the parent of a create would cost more to read the
   * more children it has. Their numChildren is NaN: only for znodes that no
   * op answers with, deletes or checks.
   */
  uncounted?: Iterable<string>;
}

/** An elist entry as read: whose ephemeral it was, and when it was created. */
export interface ElistSeen {
  key: string;
  session: bigint;
  created: bigint;
  modRevision: bigint;
}

/** A read set with its members deduplicated. */
export interface KeySet {
  paths: Set<string>;
  childrenOf: Set<string>;
  sessions: Set<bigint>;
  ephemeralsOf: Set<bigint>;
  ranges: RangeRequest[];
  uncounted: Set<string>;
}

/** Range requests paired with what to do with each answer. */
class ReadBatch {
  readonly ops: RequestOp[] = [];
  private readonly handlers: ((r: RangeResponse) => void)[] = [];

  range(req: RangeRequest, onResponse: (r: RangeResponse) => void): void {
    this.ops.push({ range: req });
    this.handlers.push(onResponse);
  }

  deliver(responses: ResponseOp[]): void {
    responses.forEach((r, i) => {
      if (!("range" in r)) throw new Error("read batch got a non-range response");
      this.handlers[i]!(r.range);
    });
  }
}

export class Snapshot {
  revision = 0n;
  base: KeyValue | null = null;
  /** The zxid offset in force (records.ts). */
  off = 0n;
  readonly nodes = new Map<string, ZNode | null>();
  readonly children = new Map<string, string[]>();
  /** Znodes with more children than one listing takes (config maxChildren): listed as none. */
  readonly tooManyChildren = new Set<string>();
  readonly sessions = new Map<bigint, boolean>();
  readonly sessionValues = new Map<bigint, Bytes>();
  readonly ephemerals = new Map<bigint, string[]>();
  /** Elists of loaded znodes that have any: child name → its entry. */
  readonly elists = new Map<string, Map<string, ElistSeen>>();
  /** Loaded znodes whose elist names ephemerals that are gone: they await reconciliation. */
  readonly expired = new Map<string, string[]>();
  /** Every single key read (null: absent), for the guards of the write that follows. */
  readonly observed = new Map<string, KeyValue | null>();
  /** The answers to the read set's `ranges`, in order. */
  readonly ranges: RangeResponse[] = [];
  /** Loaded znodes whose children were not counted (ReadSet.uncounted). */
  readonly uncounted = new Set<string>();

  get zxid(): bigint {
    return this.revision - this.off;
  }

  node(path: string): ZNode | null {
    const n = this.nodes.get(path);
    if (n === undefined) throw new Error(`snapshot did not load ${path}`);
    return n;
  }

  /** Throws SESSIONEXPIRED unless session `id` (when there is one) was read live. */
  requireLive(id: bigint | undefined): void {
    if (id === undefined) return;
    const live = this.sessions.get(id);
    if (live === undefined) throw new Error(`snapshot did not read session ${id}`);
    if (!live) throw sessionNotLive(id);
  }
}

export function normalize(set: ReadSet): KeySet {
  return {
    paths: new Set(set.paths ?? []),
    childrenOf: new Set(set.childrenOf ?? []),
    sessions: new Set(set.sessions ?? []),
    ephemeralsOf: new Set(set.ephemeralsOf ?? []),
    ranges: [...(set.ranges ?? [])],
    uncounted: new Set(set.uncounted ?? []),
  };
}

/**
 * The range requests of a read set, and a parser that turns their answers
 * into a snapshot. The caller's session is always read, so that any read can
 * tell it is live (Snapshot.requireLive).
 */
export function planRead(ctx: Ctx, set: KeySet): { ops: RequestOp[]; parse(revision: bigint, responses: ResponseOp[]): Snapshot } {
  const { keys } = ctx;
  const sessions = new Set(set.sessions);
  if (ctx.caller.session !== undefined) sessions.add(ctx.caller.session);
  const batch = new ReadBatch();
  const snap = new Snapshot();
  const seen = (key: string, kv: KeyValue | undefined) => snap.observed.set(key, kv ?? null);
  const single = (key: string, onKv: (kv: KeyValue | undefined) => void) =>
    batch.range({ key }, (r) => {
      seen(key, r.kvs[0]);
      onKv(r.kvs[0]);
    });

  single(keys.base(), (kv) => (snap.base = kv ?? null));
  const loaded: { path: string; kvs: NodeKvs; shards: KeyValue[]; count: number; live: Set<string>; elist: KeyValue[] }[] = [];
  for (const path of set.paths) {
    const entry: (typeof loaded)[number] = { path, kvs: {}, shards: [], count: 0, live: new Set(), elist: [] };
    loaded.push(entry);
    single(keys.node(path), (kv) => (entry.kvs.node = kv));
    single(keys.creations(path), (kv) => (entry.kvs.creations = kv));
    single(keys.deletions(path), (kv) => (entry.kvs.deletions = kv));
    single(keys.acl(path), (kv) => (entry.kvs.acl = kv));
    if (set.uncounted.has(path)) {
      entry.count = NaN;
      snap.uncounted.add(path);
    } else batch.range({ ...keys.children(path), countOnly: true }, (r) => (entry.count = Number(r.count)));
    batch.range(keys.creationShards(path), (r) => {
      entry.shards = r.kvs;
      for (const kv of r.kvs) seen(kv.key, kv);
    });
    // Usually empty both: finding expired ephemerals costs no extra round trip.
    const ekeys = keys.ekeys(path);
    batch.range({ ...ekeys, keysOnly: true }, (r) => (entry.live = new Set(r.kvs.map((kv) => keys.childName(ekeys, kv.key)))));
    batch.range(keys.elist(path), (r) => (entry.elist = r.kvs));
  }
  for (const path of set.childrenOf) {
    const range = keys.children(path);
    // One past the bound tells a listing that would exceed it.
    const limit = ctx.config.maxChildren + 1;
    batch.range({ ...range, keysOnly: true, limit }, (r) => {
      if (r.kvs.length >= limit || r.more) snap.tooManyChildren.add(path);
      snap.children.set(path, snap.tooManyChildren.has(path) ? [] : r.kvs.map((kv) => keys.childName(range, kv.key)));
    });
  }
  for (const id of sessions) {
    single(keys.session(id), (kv) => {
      snap.sessions.set(id, kv !== undefined);
      if (kv) snap.sessionValues.set(id, kv.value);
    });
  }
  for (const id of set.ephemeralsOf) {
    const range = keys.ownedBy(id);
    batch.range({ ...range, keysOnly: true }, (r) => {
      snap.ephemerals.set(id, r.kvs.map((kv) => keys.ownedPath(range, kv.key)));
    });
  }

  for (const range of set.ranges) batch.range(range, (r) => snap.ranges.push(r));

  return {
    ops: batch.ops,
    parse(revision, responses) {
      batch.deliver(responses);
      snap.revision = revision;
      if (snap.base) {
        snap.off = offsetOf(snap.base);
        for (const e of loaded) {
          snap.nodes.set(e.path, loadNode(e.path, e.kvs, e.shards, e.count));
          if (e.elist.length === 0) continue;
          const elist = new Map<string, ElistSeen>();
          for (const kv of e.elist) {
            const name = basename(keys.elistEntryPath(kv.key));
            elist.set(name, { key: kv.key, session: decodeElistEntry(kv.value), created: kv.createRevision, modRevision: kv.modRevision });
          }
          snap.elists.set(e.path, elist);
          const expired = [...elist.keys()].filter((name) => !e.live.has(name));
          if (expired.length > 0) snap.expired.set(e.path, expired);
        }
      }
      return snap;
    },
  };
}

/** A counter key's zxid: explicit, or its write's (records.ts). */
function counterZxid(kv: KeyValue): bigint {
  const r = decodeCounter(kv.value);
  return resolveZxid(r.pzxid, kv, r.off);
}

/** A znode's keys as read, by their part (plan.ts Part). */
type NodeKvs = Partial<Record<Part, KeyValue>>;

function loadNode(path: string, kvs: NodeKvs, shards: KeyValue[], numChildren: number): ZNode | null {
  // A znode's keys are written and deleted together.
  const { node: nodeKv, creations: c, deletions: d, acl: aclKv } = kvs;
  if (!nodeKv || !c || !d || !aclKv) return null;
  const node = decodeNode(nodeKv.value);
  const acl = decodeAcl(aclKv.value);
  const zc = counterZxid(c);
  const zd = counterZxid(d);
  return {
    path,
    kind: node.kind,
    owner: node.owner,
    ttlMs: node.ttlMs,
    czxid: resolveZxid(node.czxid, nodeKv, node.off),
    mzxid: resolveZxid(node.mzxid, nodeKv, node.off),
    pzxid: zc > zd ? zc : zd,
    ctime: node.ctime,
    mtime: node.mtime,
    version: node.version,
    aversion: acl.aversion,
    // Every put of a shard is one creation; the creations key's first put was the node's own.
    seq: shards.reduce((n, kv) => n + Number(kv.version), Number(c.version) - 1 + decodeCounter(c.value).adj),
    data: node.data,
    acl: acl.acl,
    numChildren,
  };
}

/**
 * Runs range requests as one consistent read. More than the cluster allows in
 * one txn (--max-txn-ops) are split: the first part fixes the revision and the
 * rest read at that revision, in parallel.
 */
async function rangeAll(ctx: Ctx, ops: RequestOp[]): Promise<{ revision: bigint; responses: ResponseOp[] }> {
  const max = ctx.config.etcdMaxTxnOps;
  const first = await ctx.etcd.txn({ success: ops.slice(0, max) });
  if (ops.length <= max) return first;
  const rest: RequestOp[][] = [];
  for (let i = max; i < ops.length; i += max) {
    rest.push(ops.slice(i, i + max).map((op) => ("range" in op ? { range: { ...op.range, revision: first.revision } } : op)));
  }
  const more = await Promise.all(rest.map((success) => ctx.etcd.txn({ success })));
  return { revision: first.revision, responses: [...first.responses, ...more.flatMap((r) => r.responses)] };
}

/** Reads a snapshot: one round trip when it fits one etcd txn. */
export async function readSnapshot(ctx: Ctx, set: KeySet): Promise<Snapshot> {
  const { ops, parse } = planRead(ctx, set);
  let resp;
  try {
    resp = await rangeAll(ctx, ops);
  } catch (e) {
    if (!isAnswerTooLarge(e)) throw e;
    throw new ZkError("TOOLARGE", `etcd's answer to this read is larger than the etcd client takes in one message; a listing of many long names needs a lower ZK_MAX_CHILDREN`);
  }
  return parse(resp.revision, resp.responses);
}
