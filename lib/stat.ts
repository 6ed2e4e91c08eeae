// The znode as ZooKeeper sees it, and its Stat.
import type { Bytes } from "./etcd/types.js";
import type { AclEntry, NodeKind } from "./records.js";

export interface ZNode {
  path: string;
  kind: NodeKind;
  owner: bigint;
  ttlMs: number;
  /** In a plan, null stands for the zxid of the transaction being built. */
  czxid: bigint | null;
  mzxid: bigint | null;
  pzxid: bigint | null;
  ctime: number;
  mtime: number;
  version: number;
  aversion: number;
  /**
   * Child creations so far: ZooKeeper's persisted cversion, and the next
   * sequential suffix. The reported cversion is 2·seq − numChildren (DataNode's
   * copyStat), which counts every creation and deletion, expiries included.
   */
  seq: number;
  data: Bytes;
  acl: AclEntry[];
  numChildren: number;
}

export interface Stat {
  czxid: bigint;
  mzxid: bigint;
  pzxid: bigint;
  ctime: number;
  mtime: number;
  version: number;
  cversion: number;
  aversion: number;
  ephemeralOwner: bigint;
  dataLength: number;
  numChildren: number;
}

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
