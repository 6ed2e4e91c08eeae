// The read every operation starts with. A snapshot may find the tree not yet
// made (a fresh etcd, or a fresh key prefix) or ephemerals that etcd expired
// with nobody telling their parents; both are repaired before anyone is
// answered, so no caller ever sees a missing root or a stale Stat. So this
// read may write: the bootstrap, and reconciliation's guarded txn.
import type { Ctx } from "./context.js";
import { ensuringTree } from "./bootstrap.js";
import { ZkError } from "./errors.js";
import { reconcile } from "./reconcile.js";
import { normalize, readSnapshot, type ReadSet, type Snapshot } from "./snapshot.js";

/**
 * A snapshot of `set` in which every loaded znode is reconciled, and the
 * caller's session (if it names one) is live.
 */
export async function readSettled(ctx: Ctx, set: ReadSet): Promise<Snapshot> {
  const keySet = normalize(set);
  for (let attempt = 0; attempt < ctx.config.maxAttempts; attempt++) {
    const snap = await ensuringTree(ctx, async () => {
      const s = await readSnapshot(ctx, keySet);
      return s.base ? s : null;
    });
    if (snap.expired.size > 0) {
      const done = await reconcile(ctx, snap);
      if (done.applied) ctx.reconciledParents += done.parents;
      continue;
    }
    ctx.sawZxid(snap.zxid);
    snap.requireLive(ctx.caller.session);
    return snap;
  }
  throw new ZkError("OPERATIONTIMEOUT", `gave up reading after ${ctx.config.maxAttempts} reconciliations lost to concurrent writers; retry`);
}
