// A znode's Stat as ZooKeeper 3.8 reports it.
import type { Stat, ZNode } from "./model.js";

// ZooKeeper 3.8 folds container and TTL nodes into the persisted ephemeralOwner
// (EphemeralType) but reports 0 for both to clients (checked against a server).
export function ephemeralOwner(node: Pick<ZNode, "kind" | "owner">): bigint {
  return node.kind === "ephemeral" ? node.owner : 0n;
}

/** The Stat of a node; `zxid` fills the fields a plan left to its own transaction. */
export function statOf(node: ZNode, zxid?: bigint): Stat {
  const z = (v: bigint | null): bigint => {
    if (v !== null) return v;
    if (zxid === undefined) throw new Error(`unresolved zxid in the stat of ${node.path}`);
    return zxid;
  };
  return {
    czxid: z(node.czxid),
    mzxid: z(node.mzxid),
    pzxid: z(node.pzxid),
    ctime: node.ctime,
    mtime: node.mtime,
    version: node.version,
    cversion: 2 * node.seq - node.numChildren,
    aversion: node.aversion,
    ephemeralOwner: ephemeralOwner(node),
    dataLength: node.data.length,
    numChildren: node.numChildren,
  };
}
