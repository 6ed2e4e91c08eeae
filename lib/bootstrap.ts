// The tree a fresh ZooKeeper 3.8 starts with, written once by the first request.
// Its revision becomes zxid 0; the nodes' stats are what a fresh server reports
// (checked against a real one): every zxid and time 0, `/` at cversion −1 and
// `/zookeeper` at −2 because their children were never "created" (stat.ts),
// and `/zookeeper/config` read-only with aversion −1.
import { OPEN_ACL_UNSAFE, PERMS } from "./acl.js";
import type { Ctx } from "./context.js";
import type { RequestOp } from "./etcd/types.js";
import type { AclEntry } from "./model.js";
import { SYSTEM_PATHS } from "./path.js";
import { encodeAcl, encodeBase, encodeCounter, encodeNode } from "./records.js";

const SYSTEM_ACLS: Record<(typeof SYSTEM_PATHS)[number], { acl: AclEntry[]; aversion: number }> = {
  "/": { acl: OPEN_ACL_UNSAFE, aversion: 0 },
  "/zookeeper": { acl: OPEN_ACL_UNSAFE, aversion: 0 },
  "/zookeeper/quota": { acl: OPEN_ACL_UNSAFE, aversion: 0 },
  "/zookeeper/config": { acl: [{ perms: PERMS.READ, scheme: "world", id: "anyone" }], aversion: -1 },
};

/**
 * Runs `attempt`, which answers null when it found no tree under the key
 * prefix (no base key); then writes the fresh tree and runs it once more.
 * This is the only way a tree comes to be: whatever calls it may write.
 */
export async function ensuringTree<T>(ctx: Ctx, attempt: () => Promise<T | null>): Promise<T> {
  const first = await attempt();
  if (first !== null) return first;
  await bootstrap(ctx);
  const second = await attempt();
  if (second === null) throw new Error(`no tree under prefix ${JSON.stringify(ctx.config.prefix)} right after writing one`);
  return second;
}

async function bootstrap(ctx: Ctx): Promise<void> {
  const { keys } = ctx;
  const success: RequestOp[] = [{ put: { key: keys.base(), value: encodeBase({ extra: 0n, compactedFallbacks: 0 }) } }];
  for (const path of SYSTEM_PATHS) {
    const { acl, aversion } = SYSTEM_ACLS[path];
    const node = { kind: "persistent", owner: 0n, ttlMs: 0, version: 0, ctime: 0, mtime: 0, czxid: 0n, mzxid: 0n, off: 0n, data: new Uint8Array() } as const;
    success.push(
      { put: { key: keys.node(path), value: encodeNode(node) } },
      { put: { key: keys.creations(path), value: encodeCounter({ adj: 0, off: 0n, pzxid: 0n }) } },
      { put: { key: keys.deletions(path), value: encodeCounter({ adj: 0, off: 0n, pzxid: 0n }) } },
      { put: { key: keys.acl(path), value: encodeAcl({ acl, aversion }) } },
    );
  }
  // Whoever loses the race to bootstrap simply reads the winner's tree.
  await ctx.etcd.txn({ compare: [{ key: keys.base(), target: "version", result: "equal", value: 0n }], success });
}
