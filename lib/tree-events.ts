// Every ZooKeeper txn of a tree, in order, with the watch events it fired:
// one etcd watch over the whole prefix, each revision that was a ZooKeeper
// txn turned into the events ZooKeeper fires for it (those a txn of several
// ops recorded, events.ts, or else the ones its node keys' changes stand
// for). A server holding many watches reads this one stream and dispatches
// it, rather than keeping an etcd watch per ZooKeeper watch.
import type { Ctx } from "./context.js";
import { EtcdCompactedError } from "./etcd/errors.js";
import type { Bytes, EtcdEvent } from "./etcd/types.js";
import { ZkError } from "./errors.js";
import { created, dataChanged, deleted } from "./events.js";
import type { AclEntry, Fired } from "./model.js";
import { decodeAcl, decodeEvents, decodeNode, offsetOf } from "./records.js";
import { readSettled } from "./settle.js";

/** One ZooKeeper txn as the stream sees it. */
export interface TxnEvents {
  revision: bigint;
  zxid: bigint;
  /** The events it fired, in ZooKeeper's order (often none: a session opened, a check). */
  fired: Fired[];
  /** Its key changes: what aclsAt needs. */
  changes: EtcdEvent[];
}

/** A batch's changes, one group per revision (etcd sends them in revision order). */
export function byRevision(batch: EtcdEvent[]): EtcdEvent[][] {
  const groups: EtcdEvent[][] = [];
  for (const c of batch) {
    const last = groups[groups.length - 1];
    if (last && last[0]!.kv.modRevision === c.kv.modRevision) last.push(c);
    else groups.push([c]);
  }
  return groups;
}

/** The events one revision's changes fired. */
export function firedIn(ctx: Ctx, group: EtcdEvent[]): Fired[] {
  const { keys } = ctx;
  const recorded = group.find((c) => c.kv.key === keys.events() && c.kind === "put");
  if (recorded) return decodeEvents(recorded.kv.value);
  return group.flatMap((c) => {
    const p = keys.nodePath(c.kv.key);
    if (p === null) return [];
    if (c.kind === "delete") return deleted(p);
    // A create leaves its zxids to the write (null); a setData spells them out.
    return decodeNode(c.kv.value).czxid === null ? created(p) : dataChanged(p);
  });
}

/** Where a stream of the tree's txns starts from now: follow it with txnsAfter(revision, revision − zxid). */
export async function treeEvents(ctx: Ctx): Promise<{ revision: bigint; zxid: bigint }> {
  const now = await readSettled(ctx, {});
  return { revision: now.revision, zxid: now.zxid };
}

/**
 * The ZooKeeper txns after `after`, where `off` is the zxid offset in force
 * then (revision − zxid): resumes a stream that stopped.
 */
export async function* txnsAfter(ctx: Ctx, after: bigint, off: bigint, signal: AbortSignal): AsyncGenerator<TxnEvents> {
  try {
    for await (const batch of ctx.etcd.watch([ctx.keys.all()], after + 1n, signal)) {
      for (const group of byRevision(batch)) {
        const revision = group[0]!.kv.modRevision;
        const baseChange = group.find((c) => c.kv.key === ctx.keys.base());
        if (baseChange) {
          // A reconciliation or a cursor save: not a ZooKeeper txn, but later zxids move.
          off = offsetOf(baseChange.kv);
          continue;
        }
        yield { revision, zxid: revision - off, fired: firedIn(ctx, group), changes: group };
      }
    }
  } catch (e) {
    if (e instanceof EtcdCompactedError) throw new ZkError("WATCHEXPIRED", "etcd has compacted the history the event stream needs");
    throw e;
  }
}

/**
 * The ACL each of `paths` had at the txn `txn` (the one a deleted node had
 * just before), for ZooKeeper 3.8.4's rule that an event goes only to
 * watchers with READ on it; null when unknown (no ACL key then).
 */
export async function aclsAt(ctx: Ctx, txn: Pick<TxnEvents, "revision" | "fired" | "changes">, paths: Iterable<string>): Promise<Map<string, AclEntry[] | null>> {
  const { keys } = ctx;
  const { revision, changes } = txn;
  const gone = new Set(txn.fired.filter((f) => f.type === "NodeDeleted").map((f) => f.path));
  for (const c of changes) {
    const p = keys.nodePath(c.kv.key);
    if (p !== null && c.kind === "delete") gone.add(p);
  }
  const written = new Map<string, Bytes>();
  for (const c of changes) {
    const p = keys.aclPath(c.kv.key);
    if (p !== null && c.kind === "put") written.set(p, c.kv.value);
  }
  const out = new Map<string, AclEntry[] | null>();
  const toRead = [...new Set(paths)].filter((p) => gone.has(p) || !written.has(p));
  for (const p of new Set(paths)) if (!toRead.includes(p)) out.set(p, decodeAcl(written.get(p)!).acl);
  if (toRead.length > 0) {
    let res;
    try {
      res = await ctx.etcd.txn({ success: toRead.map((p) => ({ range: { key: keys.acl(p), revision: gone.has(p) ? revision - 1n : revision } })) });
    } catch (e) {
      if (e instanceof EtcdCompactedError) throw new ZkError("WATCHEXPIRED", "etcd has compacted the history an event's ACL is in");
      throw e;
    }
    toRead.forEach((p, i) => {
      const r = res.responses[i]!;
      const kv = "range" in r ? r.range.kvs[0] : undefined;
      out.set(p, kv ? decodeAcl(kv.value).acl : null);
    });
  }
  return out;
}
