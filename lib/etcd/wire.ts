// etcd's messages as they travel: rpc.proto's shapes and field names, which
// both the JSON gateway and the etcd3 package's proto-loader objects use.
// int64 goes as a decimal string both ways; bytes as the transport carries
// them (base64 strings in JSON, Buffers in gRPC).
import type { Bytes, Compare, EtcdEvent, KeyValue, RequestOp, ResponseOp, TxnRequest, TxnResponse, WatchRange } from "./types.js";
import { EndpointFailure, EtcdCompactedError, COMPACTED } from "./errors.js";

export type Int64 = string;

/** How a transport carries bytes. */
export interface BytesCodec<B> {
  encode(bytes: Bytes): B;
  decode(wire: B | null | undefined): Bytes;
  /** A key straight from its string, where the transport has a faster way than UTF-8 bytes first. */
  encodeKey?(key: string): B;
  decodeKey?(wire: B | null | undefined): string;
}

interface WireCompare<B> {
  key: B;
  target: number;
  result: number;
  version?: Int64;
  create_revision?: Int64;
  mod_revision?: Int64;
  value?: B;
  lease?: Int64;
}

interface WireRequestOp<B> {
  request_range?: {
    key: B;
    range_end?: B;
    count_only?: boolean;
    keys_only?: boolean;
    limit?: Int64;
    revision?: Int64;
  };
  request_put?: { key: B; value: B; lease?: Int64 };
  request_delete_range?: { key: B; range_end?: B };
}

export interface WireTxnRequest<B> {
  compare: WireCompare<B>[];
  success: WireRequestOp<B>[];
  failure: WireRequestOp<B>[];
}

// Responses: the gateway omits fields holding their default; proto-loader fills
// them in, and sets unused oneof members to null.
interface WireKeyValue<B> {
  key?: B;
  value?: B;
  create_revision?: Int64;
  mod_revision?: Int64;
  version?: Int64;
  lease?: Int64;
}

interface WireResponseOp<B> {
  response_range?: { kvs?: WireKeyValue<B>[] | null; count?: Int64; more?: boolean } | null;
  response_put?: object | null;
  response_delete_range?: { deleted?: Int64 } | null;
}

export interface WireTxnResponse<B> {
  header?: { revision?: Int64 } | null;
  succeeded?: boolean;
  responses?: WireResponseOp<B>[] | null;
}

/** The unary calls of etcd's API that this project makes, with their wire shapes. */
export interface Unary<B> {
  txn: { req: WireTxnRequest<B>; res: WireTxnResponse<B> };
  leaseGrant: { req: { TTL: Int64; ID: Int64 }; res: { ID?: Int64; error?: string | null } };
  /** TTL 0 (absent in JSON): etcd does not know the lease. */
  leaseKeepAlive: { req: { ID: Int64 }; res: { TTL?: Int64 } };
  leaseRevoke: { req: { ID: Int64 }; res: object };
  /** TTL −1: etcd does not know the lease. */
  leaseTimeToLive: { req: { ID: Int64 }; res: { TTL?: Int64; grantedTTL?: Int64 } };
  compact: { req: { revision: Int64 }; res: object };
}
export type UnaryMethod = keyof Unary<unknown>;

/** Parses an int64 that etcd sent as a decimal string; absent means 0. */
export const int64 = (wire: Int64 | null | undefined): bigint => BigInt(wire ?? "0");

// Enums go as numbers: the gateway expects etcd's names ("MOD", "NOT_EQUAL") while
// the etcd3 package's rpc.proto renamed them ("Mod", "NotEqual"), and protobufjs
// silently turns an unknown name into 0 (VERSION / EQUAL). The numbers are the protocol.
const TARGETS = { version: 0, create: 1, mod: 2, value: 3, lease: 4 } as const;
const RESULTS = { equal: 0, greater: 1, less: 2, not_equal: 3 } as const;
const TARGET_FIELDS = { version: "version", create: "create_revision", mod: "mod_revision", lease: "lease" } as const;

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder();

// Module-level helpers, not closures per call: requests are built and parsed
// on every etcd call, and the server runs under tsx, which names every closure
// it creates (esbuild's keepNames) at a cost per creation.
function keyOf<B>(k: string, bytes: BytesCodec<B>): B {
  return bytes.encodeKey ? bytes.encodeKey(k) : bytes.encode(utf8Encoder.encode(k));
}

function keyStringOf<B>(wire: B | null | undefined, bytes: BytesCodec<B>): string {
  return bytes.decodeKey ? bytes.decodeKey(wire) : utf8Decoder.decode(bytes.decode(wire));
}

function optionalInt(n: bigint | number | undefined): Int64 | undefined {
  return n === undefined ? undefined : n.toString();
}

function compareToWire<B>(c: Compare, bytes: BytesCodec<B>): WireCompare<B> {
  const base = { key: keyOf(c.key, bytes), target: TARGETS[c.target], result: RESULTS[c.result] };
  if (c.target === "value") {
    if (!(c.value instanceof Uint8Array)) throw new TypeError(`compare on "value" of ${c.key} needs bytes`);
    return { ...base, value: bytes.encode(c.value) };
  }
  if (typeof c.value !== "bigint") throw new TypeError(`compare on "${c.target}" of ${c.key} needs a bigint`);
  return { ...base, [TARGET_FIELDS[c.target]]: c.value.toString() };
}

function opToWire<B>(o: RequestOp, bytes: BytesCodec<B>): WireRequestOp<B> {
  if ("range" in o) {
    const r = o.range;
    return {
      request_range: {
        key: keyOf(r.key, bytes),
        range_end: r.rangeEnd === undefined ? undefined : keyOf(r.rangeEnd, bytes),
        count_only: r.countOnly,
        keys_only: r.keysOnly,
        limit: optionalInt(r.limit),
        revision: optionalInt(r.revision),
      },
    };
  }
  if ("put" in o) {
    const p = o.put;
    return { request_put: { key: keyOf(p.key, bytes), value: bytes.encode(p.value), lease: optionalInt(p.lease) } };
  }
  const d = o.deleteRange;
  return { request_delete_range: { key: keyOf(d.key, bytes), range_end: d.rangeEnd === undefined ? undefined : keyOf(d.rangeEnd, bytes) } };
}

export function toWireTxn<B>(req: TxnRequest, bytes: BytesCodec<B>): WireTxnRequest<B> {
  const out: WireTxnRequest<B> = { compare: [], success: [], failure: [] };
  for (const c of req.compare ?? []) out.compare.push(compareToWire(c, bytes));
  for (const o of req.success ?? []) out.success.push(opToWire(o, bytes));
  for (const o of req.failure ?? []) out.failure.push(opToWire(o, bytes));
  return out;
}

function keyValueOf<B>(kv: WireKeyValue<B>, bytes: BytesCodec<B>): KeyValue {
  return {
    key: keyStringOf(kv.key, bytes),
    value: bytes.decode(kv.value),
    createRevision: int64(kv.create_revision),
    modRevision: int64(kv.mod_revision),
    version: int64(kv.version),
    lease: int64(kv.lease),
  };
}

function responseOpOf<B>(o: WireResponseOp<B>, bytes: BytesCodec<B>): ResponseOp {
  if (o.response_range) {
    const r = o.response_range;
    const kvs: KeyValue[] = [];
    for (const kv of r.kvs ?? []) kvs.push(keyValueOf(kv, bytes));
    return { range: { kvs, count: int64(r.count), more: r.more ?? false } };
  }
  if (o.response_put) return { put: {} };
  if (o.response_delete_range) return { deleteRange: { deleted: int64(o.response_delete_range.deleted) } };
  throw new Error(`etcd sent a txn response op of unknown kind: ${JSON.stringify(Object.keys(o))}`);
}

export function fromWireTxn<B>(res: WireTxnResponse<B>, bytes: BytesCodec<B>): TxnResponse {
  const responses: ResponseOp[] = [];
  for (const o of res.responses ?? []) responses.push(responseOpOf(o, bytes));
  return { revision: int64(res.header?.revision), succeeded: res.succeeded ?? false, responses };
}

/** True when running the txn twice could differ from running it once. */
export function txnWrites(req: TxnRequest): boolean {
  return [...(req.success ?? []), ...(req.failure ?? [])].some((o) => !("range" in o));
}

// Watch: create requests out; responses say created, canceled, or carry events.
export interface WireWatchCreate<B> {
  create_request: { key: B; range_end?: B; start_revision: Int64 };
}

export interface WireWatchResponse {
  canceled?: boolean | null;
  compact_revision?: Int64 | null;
  cancel_reason?: string | null;
  events?: WireEvent<unknown>[] | null;
}

interface WireEvent<B> {
  /** PUT is 0 and left out by the gateway; DELETE is "DELETE" there, "Delete" in the etcd3 package. */
  type?: string | number | null;
  kv?: WireKeyValue<B> | null;
}

export function toWireWatchCreate<B>(range: WatchRange, fromRevision: bigint, bytes: BytesCodec<B>): WireWatchCreate<B> {
  return {
    create_request: {
      key: keyOf(range.key, bytes),
      range_end: range.rangeEnd === undefined ? undefined : keyOf(range.rangeEnd, bytes),
      start_revision: fromRevision.toString(),
    },
  };
}

/** The events a watch response reports (none for a "created" answer). Throws when etcd canceled the watch. */
export function eventsOf<B>(res: WireWatchResponse, bytes: BytesCodec<B>): EtcdEvent[] {
  if (res.canceled) {
    if (int64(res.compact_revision) > 0n) throw new EtcdCompactedError(`${COMPACTED}: history starts after revision ${res.compact_revision}`);
    throw new EndpointFailure(`etcd canceled the watch: ${res.cancel_reason || "no reason given"}`, false);
  }
  return (res.events ?? []).map((e) => {
    const kind = e.type === 1 || (typeof e.type === "string" && e.type.toUpperCase() === "DELETE") ? "delete" : "put";
    return { kind, kv: keyValueOf((e.kv ?? {}) as WireKeyValue<B>, bytes) };
  });
}
