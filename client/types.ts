// The shapes the client hands out and takes: ZooKeeper's, with int64 values
// (zxids, session ids) as bigint.

/** ZooKeeper's Stat. zxids and ephemeralOwner are int64, so bigint; times are ms since the epoch. */
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

export type CreateMode =
  | "persistent"
  | "persistent_sequential"
  | "ephemeral"
  | "ephemeral_sequential"
  | "container"
  | "persistent_with_ttl"
  | "persistent_sequential_with_ttl";

/** One ACL entry; `perms` is letters from "cdrwa" (CREATE DELETE READ WRITE ADMIN). */
export interface Acl {
  perms: string;
  scheme: "world" | "auth" | "digest" | "ip" | (string & {});
  id: string;
}

export type WatchEventType = "NodeCreated" | "NodeDeleted" | "NodeDataChanged" | "NodeChildrenChanged";

export interface WatchEvent {
  type: WatchEventType;
  path: string;
  /** The zxid of the write that caused it. */
  zxid: bigint;
}

/** Which read a one-shot watch belongs to. */
export type WatchKind = "data" | "exists" | "children";

export interface NodeData {
  path: string;
  data: Uint8Array;
  stat: Stat;
  /** The zxid the service had applied when it answered: a watch set by this read starts here. */
  zxid: bigint;
}

export interface NodeChildren {
  path: string;
  /** Child names, sorted. */
  children: string[];
  stat: Stat;
  zxid: bigint;
}

export interface Created {
  /** The path created (with the sequence suffix for a sequential mode). */
  path: string;
  stat: Stat;
}

export interface NodeAcl {
  path: string;
  acl: Acl[];
  stat: Stat;
}

/** The ACLs ZooKeeper's Ids names. */
export const Acls = {
  /** world:anyone, every permission (ZooKeeper's OPEN_ACL_UNSAFE, the default). */
  OPEN: [{ perms: "cdrwa", scheme: "world", id: "anyone" }] as Acl[],
  /** world:anyone, READ only (READ_ACL_UNSAFE). */
  READ: [{ perms: "r", scheme: "world", id: "anyone" }] as Acl[],
  /** Every permission for the caller's own identities (CREATOR_ALL_ACL): needs credentials. */
  CREATOR_ALL: [{ perms: "cdrwa", scheme: "auth", id: "" }] as Acl[],
} as const;

/** Wire form of a Stat (int64 as decimal strings). */
export interface WireStat {
  czxid: string;
  mzxid: string;
  pzxid: string;
  ctime: number;
  mtime: number;
  version: number;
  cversion: number;
  aversion: number;
  ephemeralOwner: string;
  dataLength: number;
  numChildren: number;
}

export function statFromWire(s: WireStat): Stat {
  return {
    czxid: BigInt(s.czxid),
    mzxid: BigInt(s.mzxid),
    pzxid: BigInt(s.pzxid),
    ctime: s.ctime,
    mtime: s.mtime,
    version: s.version,
    cversion: s.cversion,
    aversion: s.aversion,
    ephemeralOwner: BigInt(s.ephemeralOwner),
    dataLength: s.dataLength,
    numChildren: s.numChildren,
  };
}

export function eventFromWire(e: { type: WatchEventType; path: string; zxid: string }): WatchEvent {
  return { type: e.type, path: e.path, zxid: BigInt(e.zxid) };
}

/** The digest id ZooKeeper derives from a user and password: `user:base64(sha1("user:password"))`. */
export async function digestId(user: string, password: string): Promise<string> {
  const hash = new Uint8Array(await crypto.subtle.digest("SHA-1", new TextEncoder().encode(`${user}:${password}`)));
  return `${user}:${btoa(String.fromCharCode(...hash))}`;
}
