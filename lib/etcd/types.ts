// The one etcd interface lib/ talks to. Two transports implement it: the
// JSON gateway over fetch (Workers) and the etcd3 gRPC client (Node).
// Shapes follow etcd's own API (rpc.proto) so its documentation explains them.
// int64 values are bigint: never a JS number (revisions and lease ids exceed 2^53).

export type Bytes = Uint8Array;

export interface KeyValue {
  key: string;
  value: Bytes;
  createRevision: bigint;
  modRevision: bigint;
  version: bigint;
  lease: bigint;
}

export type CompareTarget = "version" | "create" | "mod" | "value" | "lease";
export type CompareResult = "equal" | "greater" | "less" | "not_equal";

export interface Compare {
  key: string;
  target: CompareTarget;
  result: CompareResult;
  /** bigint for version/create/mod/lease; bytes for value. */
  value: bigint | Bytes;
}

export interface RangeRequest {
  key: string;
  /** Exclusive end; use prefixEnd(key) for "every key with this prefix". */
  rangeEnd?: string;
  countOnly?: boolean;
  keysOnly?: boolean;
  limit?: number;
  /** Read as of this past revision (0 or absent: current). */
  revision?: bigint;
}

export interface PutRequest {
  key: string;
  value: Bytes;
  /** 0 or absent: no lease. */
  lease?: bigint;
}

export interface DeleteRangeRequest {
  key: string;
  rangeEnd?: string;
}

export type RequestOp =
  | { range: RangeRequest }
  | { put: PutRequest }
  | { deleteRange: DeleteRangeRequest };

export interface RangeResponse {
  kvs: KeyValue[];
  count: bigint;
  more: boolean;
}

export type ResponseOp =
  | { range: RangeResponse }
  | { put: Record<string, never> }
  | { deleteRange: { deleted: bigint } };

export interface TxnRequest {
  compare?: Compare[];
  success?: RequestOp[];
  failure?: RequestOp[];
}

export interface TxnResponse {
  /** Revision of the store after the txn: its own revision when it wrote. */
  revision: bigint;
  succeeded: boolean;
  responses: ResponseOp[];
}

/** Round trips by kind, counted by the etcd client (the service reports them in its stats). */
export type RoundTripKind = "txn" | "leaseGrant" | "leaseKeepAlive" | "leaseRevoke" | "leaseTimeToLive" | "compact" | "watch";

/** What a watch reports (etcd's mvccpb.Event): a put (the kv as written) or a delete (kv.modRevision is the deleting revision). */
export interface EtcdEvent {
  kind: "put" | "delete";
  kv: KeyValue;
}

/** Keys to watch: one key, or [key, rangeEnd) as in RangeRequest. */
export interface WatchRange {
  key: string;
  rangeEnd?: string;
}

export interface Etcd {
  txn(req: TxnRequest): Promise<TxnResponse>;
  /** Returns the granted lease id. ttlSeconds is whole seconds (etcd's unit). */
  leaseGrant(ttlSeconds: number, id?: bigint): Promise<bigint>;
  /** Refreshes a lease; null when the lease is gone (expired or revoked). */
  leaseKeepAlive(id: bigint): Promise<{ ttlSeconds: number } | null>;
  /** Revokes a lease; resolves false when it was already gone. */
  leaseRevoke(id: bigint): Promise<boolean>;
  /** Remaining TTL of a lease, or null when it is gone. */
  leaseTimeToLive(id: bigint): Promise<{ ttlSeconds: number; grantedTtlSeconds: number } | null>;
  compact(revision: bigint): Promise<void>;
  /**
   * The changes to `ranges` from `fromRevision` on, history first, until
   * `signal` aborts. Each batch is one etcd watch response: changes to one
   * range in revision order, a revision's changes together; batches of
   * different ranges are not ordered with each other. EtcdCompactedError when
   * `fromRevision` is compacted away. A stream that breaks resumes on the next
   * endpoint after the last revision seen.
   */
  watch(ranges: WatchRange[], fromRevision: bigint, signal: AbortSignal): AsyncIterable<EtcdEvent[]>;
  /**
   * The revision of the first change to any of `ranges` at or after
   * `fromRevision` (at once if history holds one), or null once `signal`
   * aborts. Calls on the same ranges may share one etcd watch.
   */
  nextChange(ranges: WatchRange[], fromRevision: bigint, signal: AbortSignal): Promise<bigint | null>;
  /** Round trips made so far, by kind. */
  roundTrips(): Record<RoundTripKind, number>;
  close(): Promise<void>;
}

/** The exclusive end of the range of all keys starting with `prefix` (etcd's "prefix end"). */
export function prefixEnd(prefix: string): string {
  // Keys are UTF-8 strings here; incrementing the last UTF-16 unit keeps order for the
  // ASCII key layout this project uses (lib/keys.ts), where every prefix ends in ASCII.
  const last = prefix.charCodeAt(prefix.length - 1);
  return prefix.slice(0, -1) + String.fromCharCode(last + 1);
}

/** On a wrapper of an Etcd (metrics' per-request counting): the client it wraps. */
export const WRAPPED = Symbol("wrapped etcd client");

/** The client under any wrappers: one per etcd cluster a process talks to. */
export function underlying(etcd: Etcd): Etcd {
  const inner = (etcd as { [WRAPPED]?: Etcd })[WRAPPED];
  return inner === undefined ? etcd : underlying(inner);
}
