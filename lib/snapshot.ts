// One consistent read of everything an operation needs, in one etcd round trip.
// The snapshot also remembers the mod revision of every key it saw, so the
// write that follows can be guarded by exactly what it was decided on.
import type { Ctx } from "./context.js";
import type { Bytes, KeyValue, RangeRequest, RangeResponse, RequestOp, ResponseOp } from "./etcd/types.js";
import { decodeAcl, decodeChildMeta, decodeNode, offsetOf, resolveZxid } from "./records.js";
import type { ZNode } from "./stat.js";
import { bootstrap } from "./bootstrap.js";
import { ZkError } from "./errors.js";
import { reconcile } from "./reconcile.js";

export interface ReadSet {
  /** Znodes to load with their stat, data and ACL. */
  paths?: Iterable<string>;
  /** Znodes whose child names to list. */
  childrenOf?: Iterable<string>;
  /** Sessions whose liveness to check. */
  sessions?: Iterable<bigint>;
  /** Sessions whose ephemerals to list. */
  ephemeralsOf?: Iterable<bigint>;
}

/** A read set with its members deduplicated. */
export interface KeySet {
  paths: Set<string>;
  childrenOf: Set<string>;
  sessions: Set<bigint>;
  ephemeralsOf: Set<bigint>;
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
  readonly sessions = new Map<bigint, boolean>();
  readonly sessionValues = new Map<bigint, Bytes>();
  readonly ephemerals = new Map<bigint, string[]>();
  /** Loaded znodes whose elist names ephemerals that are gone: they await reconciliation. */
  readonly expired = new Map<string, string[]>();
  /** Every key read, with the mod revision seen (0: absent). */
  readonly modRevisions = new Map<string, bigint>();

  constructor(readonly set: KeySet) {}

  get zxid(): bigint {
    return this.revision - this.off;
  }

  node(path: string): ZNode | null {
    const n = this.nodes.get(path);
    if (n === undefined) throw new Error(`snapshot did not load ${path}`);
    return n;
  }
}

export function normalize(set: ReadSet): KeySet {
  return {
    paths: new Set(set.paths ?? []),
    childrenOf: new Set(set.childrenOf ?? []),
    sessions: new Set(set.sessions ?? []),
    ephemeralsOf: new Set(set.ephemeralsOf ?? []),
  };
}

/** The range requests of a read set, and a parser that turns their answers into a snapshot. */
export function planRead(ctx: Ctx, set: KeySet): { ops: RequestOp[]; parse(revision: bigint, responses: ResponseOp[]): Snapshot } {
  const { keys } = ctx;
  const batch = new ReadBatch();
  const snap = new Snapshot(set);
  const seen = (key: string, kv: KeyValue | undefined) => snap.modRevisions.set(key, kv?.modRevision ?? 0n);

  batch.range({ key: keys.base() }, (r) => {
    snap.base = r.kvs[0] ?? null;
    seen(keys.base(), r.kvs[0]);
  });
  const loaded: { path: string; node?: KeyValue; meta?: KeyValue; acl?: KeyValue; count: number; live: Set<string> }[] = [];
  for (const path of set.paths) {
    const entry: (typeof loaded)[number] = { path, count: 0, live: new Set() };
    loaded.push(entry);
    batch.range({ key: keys.node(path) }, (r) => {
      entry.node = r.kvs[0];
      seen(keys.node(path), r.kvs[0]);
    });
    batch.range({ key: keys.childMeta(path) }, (r) => {
      entry.meta = r.kvs[0];
      seen(keys.childMeta(path), r.kvs[0]);
    });
    batch.range({ key: keys.acl(path) }, (r) => {
      entry.acl = r.kvs[0];
      seen(keys.acl(path), r.kvs[0]);
    });
    batch.range({ ...keys.children(path), countOnly: true }, (r) => {
      entry.count = Number(r.count);
    });
    // Usually empty: the check for expired ephemerals costs no extra round trip.
    const ekeys = keys.ekeys(path);
    batch.range({ ...ekeys, keysOnly: true }, (r) => {
      entry.live = new Set(r.kvs.map((kv) => keys.childName(ekeys, kv.key)));
    });
  }
  for (const path of set.childrenOf) {
    const range = keys.children(path);
    batch.range({ ...range, keysOnly: true }, (r) => {
      snap.children.set(path, r.kvs.map((kv) => keys.childName(range, kv.key)));
    });
  }
  for (const id of set.sessions) {
    batch.range({ key: keys.session(id) }, (r) => {
      snap.sessions.set(id, r.kvs.length > 0);
      if (r.kvs[0]) snap.sessionValues.set(id, r.kvs[0].value);
      seen(keys.session(id), r.kvs[0]);
    });
  }
  for (const id of set.ephemeralsOf) {
    const range = keys.ownedBy(id);
    batch.range({ ...range, keysOnly: true }, (r) => {
      snap.ephemerals.set(id, r.kvs.map((kv) => keys.ownedPath(range, kv.key)));
    });
  }

  return {
    ops: batch.ops,
    parse(revision, responses) {
      batch.deliver(responses);
      snap.revision = revision;
      if (snap.base) {
        snap.off = offsetOf(snap.base);
        for (const e of loaded) {
          const node = loadNode(e.path, e.node, e.meta, e.acl, e.count);
          snap.nodes.set(e.path, node);
          const expired = node ? [...node.elist.keys()].filter((name) => !e.live.has(name)) : [];
          if (expired.length > 0) snap.expired.set(e.path, expired);
        }
      }
      return snap;
    },
  };
}

function loadNode(path: string, nodeKv?: KeyValue, metaKv?: KeyValue, aclKv?: KeyValue, numChildren = 0): ZNode | null {
  // The three keys of a znode are written and deleted together; a node key alone
  // decides existence.
  if (!nodeKv || !metaKv || !aclKv) return null;
  const node = decodeNode(nodeKv.value);
  const meta = decodeChildMeta(metaKv.value);
  const acl = decodeAcl(aclKv.value);
  return {
    path,
    kind: node.kind,
    owner: node.owner,
    ttlMs: node.ttlMs,
    czxid: resolveZxid(node.czxid, nodeKv, node.off),
    mzxid: resolveZxid(node.mzxid, nodeKv, node.off),
    pzxid: resolveZxid(meta.pzxid, metaKv, meta.off),
    ctime: node.ctime,
    mtime: node.mtime,
    version: node.version,
    aversion: acl.aversion,
    seq: meta.seq,
    elist: new Map([...meta.elist].map(([name, e]) => [name, { session: e.session, created: e.created ?? metaKv.modRevision }])),
    data: node.data,
    acl: acl.acl,
    numChildren,
  };
}

/**
 * Reads a snapshot in one round trip. On first use it bootstraps the tree; when
 * an ephemeral child has expired it reconciles the parent first, so no caller
 * ever sees a stale Stat.
 */
export async function read(ctx: Ctx, set: ReadSet): Promise<Snapshot> {
  const normalized = normalize(set);
  for (let attempt = 0; attempt < ctx.config.maxAttempts; attempt++) {
    const { ops, parse } = planRead(ctx, normalized);
    const resp = await ctx.etcd.txn({ success: ops });
    const snap = parse(resp.revision, resp.responses);
    if (!snap.base) {
      await bootstrap(ctx);
    } else if (snap.expired.size > 0) {
      const done = await reconcile(ctx, snap);
      if (done.applied) ctx.reconciledParents += done.parents;
    } else {
      ctx.sawZxid(snap.zxid);
      return snap;
    }
  }
  throw new ZkError("OPERATIONTIMEOUT", `gave up reading after ${ctx.config.maxAttempts} reconciliations lost to concurrent writers; retry`);
}
