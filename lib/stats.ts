// ZooKeeper's `mntr`, for this service: what the tree holds, and what it cost.
import type { Ctx } from "./context.js";
import type { RoundTripKind } from "./etcd/types.js";
import { opCounts, type OpCount } from "./metrics.js";
import { decodeBase, offsetOf } from "./records.js";
import { read } from "./snapshot.js";

export interface ServiceStats {
  znodeCount: number;
  ephemeralCount: number;
  liveSessions: number;
  lastZxid: bigint;
  /** Ephemeral children whose expiry no parent has been reconciled for yet. */
  pendingReconciliations: number;
  /** Writes that were not ZooKeeper txns (reconciliations): the zxid offset. */
  nonZooKeeperWrites: bigint;
  /** Reconciliations that found the deletion's revision compacted (pzxid then approximate). */
  compactedFallbacks: number;
  etcdRoundTrips: Record<RoundTripKind, number>;
  operations: Record<string, OpCount & { perOp: number }>;
}

export async function serviceStats(ctx: Ctx): Promise<ServiceStats> {
  const { keys } = ctx;
  const resp = await ctx.etcd.txn({
    success: [
      { range: { key: keys.base() } },
      { range: { ...keys.allNodes(), countOnly: true } },
      { range: { ...keys.allOwned(), countOnly: true } },
      { range: { ...keys.allSessions(), countOnly: true } },
      { range: { ...keys.allElistEntries(), countOnly: true } },
    ],
  });
  const [base, nodes, owned, sessions, entries] = resp.responses.map((r) => ("range" in r ? r.range : { kvs: [], count: 0n }));
  if (!base!.kvs[0]) {
    await read(ctx, {}); // bootstraps, so a fresh store reports ZooKeeper's system nodes
    return serviceStats(ctx);
  }
  const lastZxid = resp.revision - offsetOf(base!.kvs[0]);
  const record = decodeBase(base!.kvs[0].value);
  ctx.sawZxid(lastZxid);
  return {
    znodeCount: Number(nodes!.count),
    ephemeralCount: Number(owned!.count),
    liveSessions: Number(sessions!.count),
    lastZxid,
    // Every live ephemeral has an elist entry; the rest are expired, unreconciled.
    pendingReconciliations: Number(entries!.count) - Number(owned!.count),
    nonZooKeeperWrites: record.extra,
    compactedFallbacks: record.compactedFallbacks,
    etcdRoundTrips: ctx.etcd.roundTrips(),
    operations: opCounts(),
  };
}
