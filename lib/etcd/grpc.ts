// The Etcd interface over gRPC with the etcd3 package's low-level clients (Node only).
// One etcd3 client per endpoint, with its retries and circuit breakers turned off:
// failover is createFailover's, the same as the gateway's, so both transports
// behave alike and a write whose outcome is unknown is never re-sent.

import {
  Etcd3,
  EtcdLeaseInvalidError,
  GRPCDeadlineExceededError,
  GRPCInternalError,
  GRPCUnavailableError,
  GRPCUnknownError,
  castGrpcError,
  type IOptions,
  type ILeaseKeepAliveResponse,
} from "etcd3";
import {
  EndpointFailure,
  classifyEtcdError,
  createFailover,
  createRoundTripCounter,
  changesOf,
  failoverWatch,
  fromWireTxn,
  int64,
  toWireTxn,
  toWireWatchCreate,
  txnWrites,
  type BytesCodec,
  type WireWatchResponse,
} from "./gateway.js";
import { EtcdCompactedError, type Change, type Etcd, type WatchRange } from "./types.js";

export interface GrpcEtcdOptions {
  /** URLs such as http://127.0.0.1:2379. */
  endpoints: string[];
  /** Deadline of each call, streams included. Default 5000. */
  timeoutMs?: number;
  auth?: { user: string; password: string };
}

type Policy = NonNullable<NonNullable<IOptions["faultHandling"]>["global"]>;

// etcd3's default policies retry recoverable errors (a timed-out write among them)
// and open a breaker after three failures; this one just runs the call.
const passThrough = {
  execute: (fn: (context: { signal: AbortSignal }) => unknown) =>
    Promise.resolve().then(() => fn({ signal: new AbortController().signal })),
} as unknown as Policy;

// Zero-copy views; proto-loader hands out Buffers, the interface promises plain Uint8Arrays.
const buffers: BytesCodec<Buffer> = {
  encode: (bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
  decode: (wire) => (wire ? new Uint8Array(wire.buffer, wire.byteOffset, wire.byteLength) : new Uint8Array(0)),
};

// grpc-js fails a call this way when it never had a connection to send it on.
const NOT_CONNECTED = ["No connection established", "Name resolution failed"];

export function createGrpcEtcd(opts: GrpcEtcdOptions): Etcd {
  const timeoutMs = opts.timeoutMs ?? 5000;
  const deadline = () => ({ deadline: Date.now() + timeoutMs });
  const clients = opts.endpoints.map(
    (host) =>
      new Etcd3({
        hosts: host,
        auth: opts.auth && { username: opts.auth.user, password: opts.auth.password, callOptions: deadline },
        defaultCallOptions: deadline,
        faultHandling: { host: () => passThrough, global: passThrough },
      }),
  );
  const run = createFailover(clients.length);
  const roundTrips = createRoundTripCounter();

  function failure(e: unknown, endpoint: string): unknown {
    if (!(e instanceof Error)) return e;
    if (e instanceof GRPCUnavailableError && NOT_CONNECTED.some((m) => e.message.includes(m))) {
      return new EndpointFailure(`${endpoint}: ${e.message}`, false);
    }
    if (e instanceof GRPCDeadlineExceededError) return new EndpointFailure(`${endpoint}: no answer within ${timeoutMs} ms`, true);
    // The codes etcd's gateway answers with a 5xx.
    const serverFault = e instanceof GRPCUnavailableError || e instanceof GRPCInternalError || e instanceof GRPCUnknownError;
    return classifyEtcdError(e.message, serverFault) ?? e;
  }

  const call =
    <T>(fn: (client: Etcd3) => Promise<T>) =>
    (i: number): Promise<T> =>
      fn(clients[i]!).catch((e: unknown) => {
        throw failure(e, opts.endpoints[i]!);
      });

  async function keepAliveOnce(client: Etcd3, id: bigint): Promise<ILeaseKeepAliveResponse> {
    const stream = await client.leaseClient.leaseKeepAlive();
    return new Promise((resolve, reject) => {
      stream.on("data", resolve);
      stream.on("error", (e) => reject(castGrpcError(e)));
      stream.on("end", () => reject(new EndpointFailure("lease keepalive stream ended without an answer", true)));
      stream.write({ ID: id.toString() });
      // Half-close: etcd answers the one request, then ends the stream.
      stream.end();
    });
  }

  /** One watch stream on one endpoint, until `signal` aborts. */
  async function* watchAt(i: number, ranges: WatchRange[], fromRevision: bigint, signal: AbortSignal): AsyncGenerator<Change[]> {
    if (signal.aborted) return;
    let stream;
    try {
      // No deadline: the caller's signal ends the stream.
      stream = await clients[i]!.watchClient.watch({ deadline: Infinity });
    } catch (e) {
      throw failure(e, opts.endpoints[i]!);
    }
    const cancel = () => stream.cancel();
    // Aborted while the stream was being opened: the abort event has passed.
    if (signal.aborted) {
      cancel();
      return;
    }
    signal.addEventListener("abort", cancel, { once: true });
    try {
      for (const range of ranges) stream.write(toWireWatchCreate(range, fromRevision, buffers));
      // grpc-js streams are Node Readables, so async-iterable.
      for await (const res of stream as unknown as AsyncIterable<WireWatchResponse>) {
        const changes = changesOf(res, buffers);
        if (changes.length > 0) yield changes;
      }
      if (!signal.aborted) throw new EndpointFailure(`${opts.endpoints[i]}: the watch stream ended`, false);
    } catch (e) {
      if (signal.aborted) return;
      throw e instanceof EndpointFailure || e instanceof EtcdCompactedError ? e : failure(castGrpcError(e as Error), opts.endpoints[i]!);
    } finally {
      signal.removeEventListener("abort", cancel);
      stream.cancel();
    }
  }

  return {
    async txn(req) {
      const wire = toWireTxn(req, buffers);
      roundTrips.count("txn");
      const res = await run(call((c) => c.kv.txn(wire)), !txnWrites(req));
      return fromWireTxn(res, buffers);
    },

    async leaseGrant(ttlSeconds, id) {
      roundTrips.count("leaseGrant");
      // Granting twice without an id only leaks a lease that expires; with an id the retry would fail.
      const req = { TTL: String(ttlSeconds), ID: (id ?? 0n).toString() };
      const res = await run(call((c) => c.leaseClient.leaseGrant(req)), id === undefined);
      if (res.error) throw new Error(`lease grant: ${res.error}`);
      return int64(res.ID);
    },

    async leaseKeepAlive(id) {
      roundTrips.count("leaseKeepAlive");
      const res = await run(call((c) => keepAliveOnce(c, id)), true);
      // etcd answers TTL 0 for a lease it does not know.
      const ttl = int64(res.TTL);
      return ttl > 0n ? { ttlSeconds: Number(ttl) } : null;
    },

    async leaseRevoke(id) {
      roundTrips.count("leaseRevoke");
      try {
        await run(call((c) => c.leaseClient.leaseRevoke({ ID: id.toString() })), true);
        return true;
      } catch (e) {
        if (e instanceof EtcdLeaseInvalidError) return false;
        throw e;
      }
    },

    async leaseTimeToLive(id) {
      roundTrips.count("leaseTimeToLive");
      const res = await run(call((c) => c.leaseClient.leaseTimeToLive({ ID: id.toString() })), true);
      const ttl = int64(res.TTL);
      // etcd answers TTL -1 for a lease it does not know.
      if (ttl < 0n) return null;
      return { ttlSeconds: Number(ttl), grantedTtlSeconds: Number(int64(res.grantedTTL)) };
    },

    async compact(revision) {
      roundTrips.count("compact");
      await run(call((c) => c.kv.compact({ revision: revision.toString() })), true);
    },

    watch(ranges, fromRevision, signal) {
      roundTrips.count("watch");
      return failoverWatch(clients.length, (i, from) => watchAt(i, ranges, from, signal), fromRevision);
    },

    roundTrips: () => roundTrips.snapshot(),

    async close() {
      for (const client of clients) client.close();
    },
  };
}
