// The etcd key layout, in one place. Every key starts with the tenant prefix.
//
//   n/<depth><path>   znode: stat header + data (lease-bound for ephemerals)
//   c<path>           child creations: etcd's version of this key counts them (the
//                     sequence counter), its mod revision is the last one's zxid
//   x<path>\0<i>      creation shard i ≥ 1: a txn creating k children of one parent
//                     bumps c and shards 1 … k−1, and their versions add up
//   d<path>           child deletions: its mod revision is the last one's zxid
//   a<path>           ACL and aversion
//   s/<session>       session marker, bound to the session's lease
//   o/<session><path> ephemeral owned by a session (lease-bound): getEphemerals, close
//   e/<depth><path>   ephemeral, listed under its parent (lease-bound, the "ekey")
//   l/<depth><path>   the parent's elist entry for an ephemeral child (no lease):
//                     an entry whose ekey is gone has expired and awaits reconciliation
//   k<path>           a container or TTL node: what the scheduled clean-up scans
//   m/cursor          where the scheduled scans resume
//   m/base            created by the bootstrap txn: its create revision is zxid 0;
//                     its value counts the non-ZooKeeper writes since (the zxid offset)
//   m/txn             written by a ZooKeeper txn that changes nothing else (an error
//                     txn, a multi of checks), so it still spends a zxid
//   m/events          written by a txn of several ops: the watch events it fired
//                     (events.ts), read at that txn's revision
//
// Node keys carry the depth so that the direct children of a znode are one
// contiguous prefix: listing and counting children is a single range (ekeys and
// elist entries likewise). Child creations and deletions each have a key that
// concurrent writers can bump without reading it first (etcd counts the
// versions), so creating or deleting different children of one parent does not
// make writers collide.
import { depth } from "./path.js";
import { prefixEnd } from "./etcd/types.js";

export interface Range {
  key: string;
  rangeEnd: string;
}

export class Keys {
  constructor(readonly prefix: string) {}

  node(path: string): string {
    return `${this.prefix}n/${depth(path)}${path}`;
  }

  /** The range holding exactly the direct children of `path`. */
  children(path: string): Range {
    return this.childRange("n/", path);
  }

  /** The znodes `levels` levels below `path` (1: its children). */
  descendants(path: string, levels: number): Range {
    const key = `${this.prefix}n/${depth(path) + levels}${path === "/" ? "/" : path + "/"}`;
    return { key, rangeEnd: prefixEnd(key) };
  }

  ekey(path: string): string {
    return `${this.prefix}e/${depth(path)}${path}`;
  }

  /** The live ephemeral children of `path`. */
  ekeys(path: string): Range {
    return this.childRange("e/", path);
  }

  elistEntry(path: string): string {
    return `${this.prefix}l/${depth(path)}${path}`;
  }

  /** The elist of `path`: one entry per ephemeral child, live or expired. */
  elist(path: string): Range {
    return this.childRange("l/", path);
  }

  allElistEntries(): Range {
    return this.range("l/");
  }

  /** Path of the ephemeral an elist entry stands for. */
  elistEntryPath(key: string): string {
    return key.slice(this.prefix.length + 2).replace(/^\d+/, "");
  }

  private childRange(kind: string, path: string): Range {
    const key = `${this.prefix}${kind}${depth(path) + 1}${path === "/" ? "/" : path + "/"}`;
    return { key, rangeEnd: prefixEnd(key) };
  }

  /** Name of a child from its node key, given the range it was listed from. */
  childName(range: Range, key: string): string {
    return key.slice(range.key.length);
  }

  allNodes(): Range {
    return this.range("n/");
  }

  /** Path of a znode from its node key, or null for a key of another kind. */
  nodePath(key: string): string | null {
    const head = `${this.prefix}n/`;
    return key.startsWith(head) ? key.slice(head.length).replace(/^\d+/, "") : null;
  }

  /** Path of a znode from its ACL key, or null for a key of another kind. */
  aclPath(key: string): string | null {
    const head = `${this.prefix}a`;
    return key.startsWith(head) ? key.slice(head.length) : null;
  }

  /** Every key of this tree: one etcd watch over it sees its revisions in order. */
  all(): Range {
    // etcd reads a range end of "\0" as "every key from key on".
    return this.prefix === "" ? { key: "\0", rangeEnd: "\0" } : { key: this.prefix, rangeEnd: prefixEnd(this.prefix) };
  }

  creations(path: string): string {
    return `${this.prefix}c${path}`;
  }

  /**
   * Creation shard `i` (1, 2, …) of `path`. etcd counts one version per key
   * per txn, so a txn that creates k children of one parent bumps the
   * creations key and shards 1 … k−1, one put each, and the count stays a
   * sum of versions that nobody has to read before writing. (NUL cannot occur
   * in a path, so one path's shards never share a range with another's.)
   */
  creationShard(path: string, i: number): string {
    return `${this.prefix}x${path}\0${i}`;
  }

  creationShards(path: string): Range {
    return this.range(`x${path}\0`);
  }

  deletions(path: string): string {
    return `${this.prefix}d${path}`;
  }

  acl(path: string): string {
    return `${this.prefix}a${path}`;
  }

  session(id: bigint): string {
    return `${this.prefix}s/${id}`;
  }

  allSessions(): Range {
    return this.range("s/");
  }

  owned(session: bigint, path: string): string {
    return `${this.prefix}o/${session}${path}`;
  }

  ownedBy(session: bigint): Range {
    return this.range(`o/${session}/`);
  }

  /** Path of an ephemeral from its owned key, given the session's range. */
  ownedPath(range: Range, key: string): string {
    return key.slice(range.key.length - 1);
  }

  allOwned(): Range {
    return this.range("o/");
  }

  /** A container or TTL node, indexed for the scheduled clean-up. */
  expiring(path: string): string {
    return `${this.prefix}k${path}`;
  }

  allExpiring(): Range {
    return this.range("k");
  }

  /** Path of a znode from its expiring key. */
  expiringPath(key: string): string {
    return key.slice(this.prefix.length + 1);
  }

  cursor(): string {
    return `${this.prefix}m/cursor`;
  }

  base(): string {
    return `${this.prefix}m/base`;
  }

  txnMarker(): string {
    return `${this.prefix}m/txn`;
  }

  events(): string {
    return `${this.prefix}m/events`;
  }

  private range(suffix: string): Range {
    const key = this.prefix + suffix;
    return { key, rangeEnd: prefixEnd(key) };
  }
}
