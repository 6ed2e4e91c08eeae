// The domain, in ZooKeeper's own terms: what a znode is, its Stat, ACL
// entries and identities, create modes, the write and read ops with their
// results, sessions, and watch events. Types and the few pure facts about
// them only; every other lib/ module builds on these, and this one on none.

/** How a znode lives: until deleted, with its session, until empty (container), or until unchanged for a while (TTL). */
export type NodeKind = "persistent" | "ephemeral" | "container" | "ttl";

export interface AclEntry {
  /** ZooKeeper's bit mask: READ 1, WRITE 2, CREATE 4, DELETE 8, ADMIN 16. */
  perms: number;
  scheme: string;
  id: string;
}

/** An identity a caller holds: ("ip", address) always, ("digest", "user:hash") when authenticated. */
export interface Identity {
  scheme: string;
  id: string;
}

/** Who is asking. */
export interface Caller {
  readonly ids: readonly Identity[];
  /** The session the request names, if any. */
  readonly session?: bigint;
}

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
  data: Uint8Array;
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

export const CREATE_MODES = [
  "persistent",
  "ephemeral",
  "persistent_sequential",
  "ephemeral_sequential",
  "container",
  "persistent_with_ttl",
  "persistent_sequential_with_ttl",
] as const;
export type CreateMode = (typeof CREATE_MODES)[number];

export function isSequential(mode: CreateMode): boolean {
  return mode.includes("sequential");
}

export function isEphemeral(mode: CreateMode): boolean {
  return mode.startsWith("ephemeral");
}

export function isTtl(mode: CreateMode): boolean {
  return mode.endsWith("_with_ttl");
}

export function kindOf(mode: CreateMode): NodeKind {
  if (isEphemeral(mode)) return "ephemeral";
  if (mode === "container") return "container";
  return isTtl(mode) ? "ttl" : "persistent";
}

/** ZooKeeper's largest TTL (EphemeralType.MAX_TTL: 40 bits). */
export const MAX_TTL_MS = 2 ** 40 - 1;

export type WriteOp =
  | { op: "create"; path: string; data: Uint8Array; acl: AclEntry[]; mode: CreateMode; ttlMs: number }
  | { op: "delete"; path: string; version: number }
  | { op: "setData"; path: string; data: Uint8Array; version: number }
  | { op: "check"; path: string; version: number }
  | { op: "setACL"; path: string; acl: AclEntry[]; version: number }
  /** closeSession's removal of one of the session's ephemerals: no ACL check. */
  | { op: "reapEphemeral"; path: string }
  /** The scheduled removal of an empty container or expired TTL node (ZooKeeper's deleteContainer). */
  | { op: "deleteContainer"; path: string };

export type WriteResult =
  | { op: "create"; path: string; node: ZNode }
  | { op: "delete"; path: string }
  | { op: "setData"; path: string; node: ZNode }
  | { op: "check"; path: string }
  | { op: "setACL"; path: string; node: ZNode }
  | { op: "reapEphemeral"; path: string }
  | { op: "deleteContainer"; path: string };

export type ReadOp = { op: "getData"; path: string } | { op: "getChildren"; path: string };

export interface Session {
  id: bigint;
  timeoutMs: number;
}

export type EventType = "NodeCreated" | "NodeDeleted" | "NodeDataChanged" | "NodeChildrenChanged";

/**
 * ZooKeeper keeps data watches (set by getData and exists) and child watches
 * (getChildren) apart; a deletion fires both, and a watcher set in both hears
 * it once.
 */
export type WatchTable = "data" | "child" | "both";

/** An event a txn fired, and the watch table it fired in. */
export interface Fired {
  table: WatchTable;
  type: EventType;
  path: string;
}

/** The one-shot watches: getData, exists and getChildren set them. */
export type WatchType = "data" | "exists" | "children";

/** An event as a watcher hears it. */
export interface WatchEvent {
  type: EventType;
  path: string;
  zxid: bigint;
}
