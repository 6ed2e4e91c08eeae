// Reconciliation: what ZooKeeper's closeSession does to a parent that etcd's
// lease expiry does not. etcd deletes an expired session's keys and touches
// nothing else, so a parent's elist keeps entries for ephemeral children that
// are gone. Here the parent's pzxid moves to the zxid of the revision in which
// etcd deleted them, and the entries leave the elist. (cversion and
// numChildren need nothing: stat.ts derives them from the live children.)
//
// The write is not a ZooKeeper txn, so it moves the zxid offset (offset.ts):
// zxids stay dense. It is guarded by the elist entries, the parents'
// deletions counters and the base key, so racing reconcilers (readers, the
// cron) apply it once.
import type { Ctx } from "./context.js";
import { EtcdCompactedError } from "./etcd/errors.js";
import type { Compare, KeyValue, RequestOp } from "./etcd/types.js";
import { firstHit } from "./history.js";
import { commitExtraWrite } from "./offset.js";
import { join } from "./path.js";
import { encodeCounter, offsetOf } from "./records.js";
import type { Snapshot } from "./snapshot.js";

export interface Reconciled {
  applied: boolean;
  parents: number;
  children: number;
  compactedFallbacks: number;
}

/**
 * When etcd deleted `key`, which existed at `lo` and is gone at `hi`: its
 * revision's zxid, or null when that history is compacted away.
 */
async function deletionZxid(ctx: Ctx, key: string, lo: bigint, hi: bigint, hiOff: bigint): Promise<bigint | null> {
  const probe = async (revisions: bigint[]) => {
    const success: RequestOp[] = revisions.flatMap((revision) => [
      { range: { key, revision, keysOnly: true } },
      { range: { key: ctx.keys.base(), revision } },
    ]);
    const ranges = (await ctx.etcd.txn({ success })).responses.map((r) => ("range" in r ? r.range.kvs : []));
    return revisions.map((_, i) => ({ gone: ranges[2 * i]!.length === 0, off: offsetOf(ranges[2 * i + 1]![0] as KeyValue) }));
  };
  try {
    const found = await firstHit(ctx, lo, { revision: hi, value: { gone: true, off: hiOff } }, 2, probe, (v) => v.gone);
    return found.revision - found.value.off;
  } catch (e) {
    if (e instanceof EtcdCompactedError) return null;
    throw e;
  }
}

/**
 * Reconciles every parent the snapshot found with expired ephemeral children,
 * in one guarded transaction. Returns whether it applied: a lost race leaves
 * etcd unchanged, and the next read finds the work done or still to do.
 */
export async function reconcile(ctx: Ctx, snap: Snapshot): Promise<Reconciled> {
  const { keys } = ctx;
  let children = 0;
  const success: RequestOp[] = [];
  const compare: Compare[] = [];
  // One lease expiry deletes all of a session's keys in one revision: one probe
  // per session serves every parent (and the request's later reconciliations).
  const probed = ctx.expiries;
  const probedHere = new Set<bigint>();
  for (const [path, names] of snap.expired) {
    const node = snap.nodes.get(path)!;
    const elist = snap.elists.get(path)!;
    let pzxid = node.pzxid!;
    for (const name of names) {
      const entry = elist.get(name)!;
      if (!probed.has(entry.session)) {
        probed.set(entry.session, await deletionZxid(ctx, keys.ekey(join(path, name)), entry.created, snap.revision, snap.off));
        probedHere.add(entry.session);
      }
      // Compacted history: the read that found it gone is the earliest revision
      // proven to follow the deletion. Order holds; exactness is lost, and counted.
      const zxid = probed.get(entry.session) ?? snap.zxid;
      if (zxid > pzxid) pzxid = zxid;
      children++;
      // Each entry goes once: a racing reconciler that removed it first wins.
      compare.push({ key: entry.key, target: "mod", result: "equal", value: entry.modRevision });
      success.push({ deleteRange: { key: entry.key } });
    }
    // The parent's deletions counter carries the new pzxid; guarded, so a
    // concurrent delete of another child (a later zxid) is never overwritten.
    const deletions = keys.deletions(path);
    const seen = snap.observed.get(deletions);
    compare.push({ key: deletions, target: "mod", result: "equal", value: seen?.modRevision ?? 0n });
    success.push({ put: { key: deletions, value: encodeCounter({ adj: 0, off: snap.off, pzxid }) } });
  }
  const fallbacks = [...probedHere].filter((id) => probed.get(id) === null).length;
  const applied = await commitExtraWrite(ctx, snap.base!, compare, success, fallbacks);
  return { applied, parents: snap.expired.size, children, compactedFallbacks: fallbacks };
}
