// The Etcd interface over etcd's JSON gRPC gateway, using only fetch, so it runs
// in Cloudflare Workers. The wire codec, error classes and endpoint failover
// below are shared with the gRPC transport (grpc.ts): the gateway's JSON uses
// rpc.proto's field names, as do the etcd3 package's proto-loader objects.

import {
  EtcdCompactedError,
  EtcdLimitError,
  EtcdUnavailableError,
  type Bytes,
  type Compare,
  type Etcd,
  type KeyValue,
  type RequestOp,
  type ResponseOp,
  type RoundTripKind,
  type TxnRequest,
  type TxnResponse,
  type Change,
  type WatchRange,
} from "./types.js";

// ---- Wire codec (rpc.proto shapes; int64 as decimal strings both ways) ----

type Int64 = string;

/** How a transport carries bytes: base64 strings in JSON, buffers in gRPC. */
export interface BytesCodec<B> {
  encode(bytes: Bytes): B;
  decode(wire: B | null | undefined): Bytes;
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

interface WireTxnRequest<B> {
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

interface WireTxnResponse<B> {
  header?: { revision?: Int64 } | null;
  succeeded?: boolean;
  responses?: WireResponseOp<B>[] | null;
}

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

export function toWireTxn<B>(req: TxnRequest, bytes: BytesCodec<B>): WireTxnRequest<B> {
  const key = (k: string) => bytes.encode(utf8Encoder.encode(k));
  const optionalKey = (k: string | undefined) => (k === undefined ? undefined : key(k));
  const optionalInt = (n: bigint | number | undefined) => (n === undefined ? undefined : n.toString());

  const compare = (c: Compare): WireCompare<B> => {
    const base = { key: key(c.key), target: TARGETS[c.target], result: RESULTS[c.result] };
    if (c.target === "value") {
      if (!(c.value instanceof Uint8Array)) throw new TypeError(`compare on "value" of ${c.key} needs bytes`);
      return { ...base, value: bytes.encode(c.value) };
    }
    if (typeof c.value !== "bigint") throw new TypeError(`compare on "${c.target}" of ${c.key} needs a bigint`);
    return { ...base, [TARGET_FIELDS[c.target]]: c.value.toString() };
  };

  const op = (o: RequestOp): WireRequestOp<B> => {
    if ("range" in o) {
      const r = o.range;
      return {
        request_range: {
          key: key(r.key),
          range_end: optionalKey(r.rangeEnd),
          count_only: r.countOnly,
          keys_only: r.keysOnly,
          limit: optionalInt(r.limit),
          revision: optionalInt(r.revision),
        },
      };
    }
    if ("put" in o) {
      const p = o.put;
      return { request_put: { key: key(p.key), value: bytes.encode(p.value), lease: optionalInt(p.lease) } };
    }
    return { request_delete_range: { key: key(o.deleteRange.key), range_end: optionalKey(o.deleteRange.rangeEnd) } };
  };

  return {
    compare: (req.compare ?? []).map(compare),
    success: (req.success ?? []).map(op),
    failure: (req.failure ?? []).map(op),
  };
}

function keyValueOf<B>(kv: WireKeyValue<B>, bytes: BytesCodec<B>): KeyValue {
  return {
    key: utf8Decoder.decode(bytes.decode(kv.key)),
    value: bytes.decode(kv.value),
    createRevision: int64(kv.create_revision),
    modRevision: int64(kv.mod_revision),
    version: int64(kv.version),
    lease: int64(kv.lease),
  };
}

export function fromWireTxn<B>(res: WireTxnResponse<B>, bytes: BytesCodec<B>): TxnResponse {
  const keyValue = (kv: WireKeyValue<B>): KeyValue => keyValueOf(kv, bytes);

  const op = (o: WireResponseOp<B>): ResponseOp => {
    if (o.response_range) {
      const r = o.response_range;
      return { range: { kvs: (r.kvs ?? []).map(keyValue), count: int64(r.count), more: r.more ?? false } };
    }
    if (o.response_put) return { put: {} };
    if (o.response_delete_range) return { deleteRange: { deleted: int64(o.response_delete_range.deleted) } };
    throw new Error(`etcd sent a txn response op of unknown kind: ${JSON.stringify(Object.keys(o))}`);
  };

  return {
    revision: int64(res.header?.revision),
    succeeded: res.succeeded ?? false,
    responses: (res.responses ?? []).map(op),
  };
}

/** True when running the txn twice could differ from running it once. */
export function txnWrites(req: TxnRequest): boolean {
  return [...(req.success ?? []), ...(req.failure ?? [])].some((o) => !("range" in o));
}

// Watch: create requests out; responses say created, canceled, or carry events.
interface WireWatchCreate<B> {
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
  const key = (k: string) => bytes.encode(utf8Encoder.encode(k));
  return {
    create_request: {
      key: key(range.key),
      range_end: range.rangeEnd === undefined ? undefined : key(range.rangeEnd),
      start_revision: fromRevision.toString(),
    },
  };
}

/** The changes a watch response reports (none for a "created" answer). Throws when etcd canceled the watch. */
export function changesOf<B>(res: WireWatchResponse, bytes: BytesCodec<B>): Change[] {
  if (res.canceled) {
    if (int64(res.compact_revision) > 0n) throw new EtcdCompactedError(`${COMPACTED}: history starts after revision ${res.compact_revision}`);
    throw new EndpointFailure(`etcd canceled the watch: ${res.cancel_reason || "no reason given"}`, false);
  }
  return (res.events ?? []).map((e) => {
    const kind = e.type === 1 || (typeof e.type === "string" && e.type.toUpperCase() === "DELETE") ? "delete" : "put";
    return { kind, kv: keyValueOf((e.kv ?? {}) as WireKeyValue<B>, bytes) };
  });
}

/**
 * A watch over several endpoints: when one fails, the next takes over from the
 * revision after the last change seen. Gives up (EtcdUnavailableError) when
 * every endpoint failed in a row.
 */
export async function* failoverWatch(
  count: number,
  open: (endpoint: number, fromRevision: bigint) => AsyncIterable<Change[]>,
  fromRevision: bigint,
): AsyncGenerator<Change[]> {
  let failures: string[] = [];
  // One more try than endpoints: a lone endpoint gets a second (an expired auth token is renewed so).
  for (let i = 0; failures.length <= count; i = (i + 1) % count) {
    try {
      for await (const batch of open(i, fromRevision)) {
        failures = [];
        yield batch;
        fromRevision = batch[batch.length - 1]!.kv.modRevision + 1n;
      }
      return;
    } catch (e) {
      if (!(e instanceof EndpointFailure)) throw e;
      failures.push(e.message);
    }
  }
  throw new EtcdUnavailableError(`no etcd endpoint kept a watch: ${failures.join("; ")}`);
}

// ---- Errors and failover ----

/** A call failed at one endpoint in a way another endpoint might not. */
export class EndpointFailure extends Error {
  /** maybeApplied: etcd may have executed the request (it was sent and no answer came back). */
  constructor(
    message: string,
    readonly maybeApplied: boolean,
  ) {
    super(message);
  }
}

const LEASE_NOT_FOUND = "etcdserver: requested lease not found";
const INVALID_AUTH_TOKEN = "etcdserver: invalid auth token";
const COMPACTED = "mvcc: required revision has been compacted";
// Limits of the cluster's configuration: refused before anything was applied.
const LIMITS = ["etcdserver: too many operations in txn request", "etcdserver: request is too large"];
// Refused before the request was proposed to raft, so it did not happen.
const REFUSED = [
  "etcdserver: no leader",
  "etcdserver: leader changed",
  "etcdserver: too many requests",
  "etcdserver: unhealthy cluster",
];
// Proposed, then no result: it may still commit.
const UNKNOWN_OUTCOME = ["etcdserver: request timed out", "etcdserver: server stopped"];

/**
 * Maps an error etcd reported to the error to throw: EtcdCompactedError,
 * an EndpointFailure (try another endpoint), or undefined for a plain error.
 */
export function classifyEtcdError(message: string, serverFault: boolean): Error | undefined {
  if (message.includes(COMPACTED)) return new EtcdCompactedError(message);
  if (LIMITS.some((m) => message.includes(m))) return new EtcdLimitError(message);
  if (REFUSED.some((m) => message.includes(m))) return new EndpointFailure(message, false);
  if (serverFault || UNKNOWN_OUTCOME.some((m) => message.includes(m))) return new EndpointFailure(message, true);
  return undefined;
}

/**
 * Runs calls against several endpoints. An endpoint that fails is skipped for
 * the next call, so a dead member costs one failed attempt, not one per call.
 * A request that may have been applied is not re-sent elsewhere unless
 * `idempotent`: sending a write twice could commit it twice.
 */
export function createFailover(count: number) {
  if (count === 0) throw new Error("at least one etcd endpoint is needed");
  let start = 0;
  return async function run<T>(attempt: (endpoint: number) => Promise<T>, idempotent: boolean): Promise<T> {
    const failures: string[] = [];
    const first = start;
    for (let k = 0; k < count; k++) {
      const i = (first + k) % count;
      try {
        return await attempt(i);
      } catch (e) {
        if (!(e instanceof EndpointFailure)) throw e;
        failures.push(e.message);
        start = (i + 1) % count;
        if (e.maybeApplied && !idempotent) {
          throw new EtcdUnavailableError(`etcd did not answer; the write may or may not have been applied: ${e.message}`);
        }
      }
    }
    throw new EtcdUnavailableError(`no etcd endpoint answered: ${failures.join("; ")}`);
  };
}

export function createRoundTripCounter() {
  const counts: Record<RoundTripKind, number> = {
    txn: 0,
    leaseGrant: 0,
    leaseKeepAlive: 0,
    leaseRevoke: 0,
    leaseTimeToLive: 0,
    compact: 0,
    watch: 0,
  };
  return {
    count(kind: RoundTripKind): void {
      counts[kind]++;
    },
    snapshot: (): Record<RoundTripKind, number> => ({ ...counts }),
  };
}

/** Throws what an answer's error field stands for. Unary calls answer {error, code, message}; streamed ones {error: {message, http_code}}. */
function throwIfError(json: Record<string, unknown>, status: number): void {
  const error = json.error as string | { message?: string; http_code?: number } | undefined;
  if (status < 400 && error === undefined) return;
  const message = typeof error === "object" ? (error.message ?? JSON.stringify(error)) : (error ?? `HTTP ${status}`);
  const httpCode = typeof error === "object" ? (error.http_code ?? status) : status;
  throw classifyEtcdError(message, httpCode >= 500) ?? new Error(message);
}

// ---- The gateway transport ----

function toBase64(bytes: Bytes): string {
  let binary = "";
  // Chunked: spreading a large array into fromCharCode overflows the argument limit.
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

function fromBase64(text: string): Bytes {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

const base64: BytesCodec<string> = {
  encode: toBase64,
  decode: (wire) => (wire ? fromBase64(wire) : new Uint8Array(0)),
};

// etcd 3.4's gateway (grpc-gateway 1.x) answers an error with a chunked body ending
// in an HTTP trailer. workerd's HTTP client leaves the trailer unread and pools the
// connection; the next request on it reaches etcd (and may be applied), but its
// answer fails with "Invalid response status line". "Connection: close" does not
// help. So in Workers, after an error answer, a throwaway GET takes that connection
// out of the pool before any real request can pick it.
const workersRuntime = typeof navigator !== "undefined" && navigator.userAgent === "Cloudflare-Workers";

// Node's fetch names the cause of a failed connection; no request was sent then.
// workerd reports every network failure as "Network connection lost.", so a write
// whose attempt failed there is only known not to have been sent when a probe came first.
const NOT_CONNECTED = new Set(["ECONNREFUSED", "ENOTFOUND", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN", "UND_ERR_CONNECT_TIMEOUT"]);

export interface GatewayEtcdOptions {
  /** Base URLs such as http://127.0.0.1:2379. */
  endpoints: string[];
  fetch?: typeof fetch;
  /** Per request, including reading the answer. Default 5000. */
  timeoutMs?: number;
  auth?: { user: string; password: string };
}

export function createGatewayEtcd(opts: GatewayEtcdOptions): Etcd {
  const endpoints = opts.endpoints.map((e) => e.replace(/\/+$/, ""));
  const timeoutMs = opts.timeoutMs ?? 5000;
  // Called through a closure: workerd throws "Illegal invocation" when its fetch is called as a method.
  const doFetch = opts.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  const auth = opts.auth;
  const run = createFailover(endpoints.length);
  const roundTrips = createRoundTripCounter();
  // etcd's default "simple" tokens are only valid on the member that issued them.
  const tokens: (Promise<string> | undefined)[] = endpoints.map(() => undefined);
  // Whether the last request to each endpoint got an HTTP answer.
  const answered: boolean[] = endpoints.map(() => false);

  function networkFailure(i: number, e: unknown): EndpointFailure {
    answered[i] = false;
    const err = e as { name?: string; message?: string; cause?: { code?: string } };
    if (err.name === "TimeoutError" || err.name === "AbortError") {
      return new EndpointFailure(`${endpoints[i]}: no answer within ${timeoutMs} ms`, true);
    }
    const code = err.cause?.code ?? "";
    return new EndpointFailure(`${endpoints[i]}: ${err.message ?? String(e)}${code ? ` (${code})` : ""}`, !NOT_CONNECTED.has(code));
  }

  /** GET /version: cheap (no raft, no auth), so it serves as a probe and as a sacrificial request. */
  async function version(i: number): Promise<void> {
    try {
      await (await doFetch(`${endpoints[i]}/version`, { signal: AbortSignal.timeout(timeoutMs) })).text();
      answered[i] = true;
    } catch (e) {
      throw networkFailure(i, e);
    }
  }

  function headersWith(token: string | undefined): Record<string, string> {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (token !== undefined) headers.authorization = token;
    return headers;
  }

  /** An answer's JSON, or the error it stands for. */
  async function answerOf(i: number, url: string, status: number, text: string): Promise<Record<string, unknown>> {
    answered[i] = true;
    // Expected to fail: it is the request that meets the leftover trailer (see workersRuntime).
    if (workersRuntime && status >= 400) await version(i).catch(() => undefined);
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      const message = `${url}: HTTP ${status}, not JSON: ${text.slice(0, 200)}`;
      throw status >= 500 ? new EndpointFailure(message, true) : new Error(message);
    }
    throwIfError(json, status);
    return json;
  }

  async function send(i: number, path: string, body: unknown, token?: string): Promise<Record<string, unknown>> {
    const url = endpoints[i] + path;
    let status: number;
    let text: string;
    try {
      const res = await doFetch(url, {
        method: "POST",
        headers: headersWith(token),
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
      status = res.status;
      text = await res.text();
    } catch (e) {
      throw networkFailure(i, e);
    }
    return answerOf(i, url, status, text);
  }

  function token(i: number): Promise<string> {
    const { user, password } = auth!;
    const pending = (tokens[i] ??= send(i, "/v3/auth/authenticate", { name: user, password }).then((r) => r.token as string));
    pending.catch(() => {
      if (tokens[i] === pending) tokens[i] = undefined;
    });
    return pending;
  }

  /** Runs `fn` with endpoint i's auth token, if any. */
  async function authorized<T>(i: number, fn: (token?: string) => Promise<T>): Promise<T> {
    if (auth === undefined) return fn();
    const used = token(i);
    try {
      return await fn(await used);
    } catch (e) {
      // Tokens expire (--auth-token-ttl); fetch a new one once.
      if (!(e instanceof Error) || !e.message.includes(INVALID_AUTH_TOKEN)) throw e;
      if (tokens[i] === used) tokens[i] = undefined;
      return fn(await token(i));
    }
  }

  function post(i: number, path: string, body: unknown): Promise<Record<string, unknown>> {
    return authorized(i, (t) => send(i, path, body, t));
  }

  /** One watch stream on endpoint i, until `signal` aborts. */
  async function* watchAt(i: number, body: string, signal: AbortSignal): AsyncGenerator<Change[]> {
    const url = `${endpoints[i]}/v3/watch`;
    let res: Response;
    try {
      const token = auth === undefined ? undefined : await tokenFor(i);
      // No timeout: the caller's signal ends the stream.
      res = await doFetch(url, { method: "POST", headers: headersWith(token), body, signal });
    } catch (e) {
      if (signal.aborted) return;
      throw e instanceof EndpointFailure ? e : networkFailure(i, e);
    }
    if (res.status >= 400 || res.body === null) {
      await answerOf(i, url, res.status, await res.text()).catch(refreshOnBadToken(i));
      throw new EndpointFailure(`${url}: HTTP ${res.status} without a watch stream`, false);
    }
    answered[i] = true;
    // The gateway streams one JSON message per line.
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffered = "";
    try {
      for (;;) {
        let chunk;
        try {
          chunk = await reader.read();
        } catch (e) {
          if (signal.aborted) return;
          throw networkFailure(i, e);
        }
        if (chunk.done) throw new EndpointFailure(`${url}: the watch stream ended`, false);
        buffered += chunk.value;
        let newline: number;
        while ((newline = buffered.indexOf("\n")) >= 0) {
          const line = buffered.slice(0, newline).trim();
          buffered = buffered.slice(newline + 1);
          if (line === "") continue;
          const message = JSON.parse(line) as Record<string, unknown>;
          try {
            throwIfError(message, 200);
          } catch (e) {
            refreshOnBadToken(i)(e);
          }
          const changes = changesOf((message.result ?? {}) as WireWatchResponse, base64);
          if (changes.length > 0) yield changes;
        }
      }
    } finally {
      reader.cancel().catch(() => undefined);
    }
  }

  async function tokenFor(i: number): Promise<string> {
    try {
      return await token(i);
    } catch (e) {
      throw e instanceof EndpointFailure ? e : new EndpointFailure(`${endpoints[i]}: authentication failed: ${(e as Error).message}`, false);
    }
  }

  /** An expired token is dropped, and the stream fails over (to a fresh token) like a broken one. */
  function refreshOnBadToken(i: number) {
    return (e: unknown): never => {
      if (e instanceof Error && e.message.includes(INVALID_AUTH_TOKEN)) {
        tokens[i] = undefined;
        throw new EndpointFailure(`${endpoints[i]}: ${e.message}`, false);
      }
      throw e;
    };
  }

  /**
   * One call with failover. A write goes only to an endpoint that just answered,
   * else a probe first: a failed probe proves the write was never sent, so it
   * may move on; a failed write may have been applied, so it may not.
   */
  function call(path: string, body: unknown, idempotent: boolean): Promise<Record<string, unknown>> {
    return run(async (i) => {
      if (!idempotent && !answered[i]) {
        await version(i).catch((e: EndpointFailure) => {
          throw new EndpointFailure(e.message, false);
        });
      }
      return post(i, path, body);
    }, idempotent);
  }

  return {
    async txn(req) {
      const wire = toWireTxn(req, base64);
      roundTrips.count("txn");
      const res = await call("/v3/kv/txn", wire, !txnWrites(req));
      return fromWireTxn(res as WireTxnResponse<string>, base64);
    },

    async leaseGrant(ttlSeconds, id) {
      roundTrips.count("leaseGrant");
      // Granting twice without an id only leaks a lease that expires; with an id the retry would fail.
      const req = { TTL: String(ttlSeconds), ID: (id ?? 0n).toString() };
      const res = await call("/v3/lease/grant", req, id === undefined);
      if (res.error) throw new Error(`lease grant: ${String(res.error)}`);
      return int64(res.ID as Int64);
    },

    async leaseKeepAlive(id) {
      roundTrips.count("leaseKeepAlive");
      const res = await call("/v3/lease/keepalive", { ID: id.toString() }, true);
      // etcd answers TTL 0 (so no TTL field) for a lease it does not know.
      const ttl = int64((res.result as { TTL?: Int64 } | undefined)?.TTL);
      return ttl > 0n ? { ttlSeconds: Number(ttl) } : null;
    },

    async leaseRevoke(id) {
      roundTrips.count("leaseRevoke");
      try {
        await call("/v3/lease/revoke", { ID: id.toString() }, true);
        return true;
      } catch (e) {
        if (e instanceof Error && e.message.includes(LEASE_NOT_FOUND)) return false;
        throw e;
      }
    },

    async leaseTimeToLive(id) {
      roundTrips.count("leaseTimeToLive");
      const res = await call("/v3/lease/timetolive", { ID: id.toString() }, true);
      const ttl = int64(res.TTL as Int64);
      // etcd answers TTL -1 for a lease it does not know.
      if (ttl < 0n) return null;
      return { ttlSeconds: Number(ttl), grantedTtlSeconds: Number(int64(res.grantedTTL as Int64)) };
    },

    async compact(revision) {
      roundTrips.count("compact");
      await call("/v3/kv/compaction", { revision: revision.toString() }, true);
    },

    watch(ranges, fromRevision, signal) {
      roundTrips.count("watch");
      // Several create requests in one body: the gateway sends each on to the stream.
      const bodyFrom = (from: bigint) => ranges.map((r) => JSON.stringify(toWireWatchCreate(r, from, base64))).join("\n");
      return failoverWatch(endpoints.length, (i, from) => watchAt(i, bodyFrom(from), signal), fromRevision);
    },

    roundTrips: () => roundTrips.snapshot(),

    async close() {
      // fetch holds nothing open between calls.
    },
  };
}
