// ZooKeeper's `mntr`, for this service: what the tree holds, and what it cost.
import type { Ctx } from "./context.js";
import type { RoundTripKind } from "./etcd/types.js";
import { opCounts, type OpCount } from "./metrics.js";
import { decodeBase } from "./records.js";
import { readSettled } from "./settle.js";

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
  const snap = await readSettled(ctx, {
    ranges: [keys.allNodes(), keys.allOwned(), keys.allSessions(), keys.allElistEntries()].map((r) => ({ ...r, countOnly: true })),
  });
  const [nodes, owned, sessions, entries] = snap.ranges.map((r) => Number(r.count)) as [number, number, number, number];
  const record = decodeBase(snap.base!.value);
  return {
    znodeCount: nodes,
    ephemeralCount: owned,
    liveSessions: sessions,
    lastZxid: snap.zxid,
    // Every live ephemeral has an elist entry; the rest are expired, unreconciled.
    pendingReconciliations: entries - owned,
    nonZooKeeperWrites: record.extra,
    compactedFallbacks: record.compactedFallbacks,
    etcdRoundTrips: ctx.etcd.roundTrips(),
    operations: opCounts(),
  };
}
