// Writes that are not ZooKeeper transactions (a reconciliation, the scheduled
// run's cursor) must not show up as gaps in the zxids: each moves the zxid
// offset (records.ts) in the same etcd txn, guarded by the base key as it was
// read, so two such writers racing never both apply.
import type { Ctx } from "./context.js";
import type { Compare, KeyValue, RequestOp } from "./etcd/types.js";
import { afterExtraWrite, decodeBase } from "./records.js";

/**
 * Commits `success` under `compare` as a write that is no ZooKeeper txn;
 * `compactedFallbacks` adds to that count in the base record. False when it
 * lost a race (the base key or a compare moved): nothing was written.
 */
export async function commitExtraWrite(ctx: Ctx, base: KeyValue, compare: Compare[], success: RequestOp[], compactedFallbacks = 0): Promise<boolean> {
  const key = ctx.keys.base();
  const resp = await ctx.etcd.txn({
    compare: [{ key, target: "mod", result: "equal", value: base.modRevision }, ...compare],
    success: [...success, { put: { key, value: afterExtraWrite(decodeBase(base.value), compactedFallbacks) } }],
  });
  return resp.succeeded;
}
