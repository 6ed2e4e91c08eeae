// The tree a fresh ZooKeeper 3.8 starts with, written once by the first request.
// Its revision becomes zxid 0; the nodes' stats are what a fresh server reports
// (checked against a real one): every zxid and time 0, `/` at cversion −1 and
// `/zookeeper` at −2 because their children were never "created" (stat.ts),
// and `/zookeeper/config` read-only with aversion −1.
import { OPEN_ACL_UNSAFE, PERMS } from "./acl.js";
import type { Ctx } from "./context.js";
import type { RequestOp } from "./etcd/types.js";
import { encodeAcl, encodeBase, encodeCounter, encodeNode, type AclEntry } from "./records.js";

const SYSTEM_NODES: { path: string; acl: AclEntry[]; aversion: number }[] = [
  { path: "/", acl: OPEN_ACL_UNSAFE, aversion: 0 },
  { path: "/zookeeper", acl: OPEN_ACL_UNSAFE, aversion: 0 },
  { path: "/zookeeper/quota", acl: OPEN_ACL_UNSAFE, aversion: 0 },
  { path: "/zookeeper/config", acl: [{ perms: PERMS.READ, scheme: "world", id: "anyone" }], aversion: -1 },
];

export async function bootstrap(ctx: Ctx): Promise<void> {
  const { keys } = ctx;
  const success: RequestOp[] = [{ put: { key: keys.base(), value: encodeBase({ extra: 0n, compactedFallbacks: 0 }) } }];
  for (const { path, acl, aversion } of SYSTEM_NODES) {
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
