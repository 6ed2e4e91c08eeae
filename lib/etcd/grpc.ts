// The gRPC transport: the etcd3 package's low-level clients (Node only), one
// per endpoint, with their retries and circuit breakers turned off: failover
// is client.ts's, the same as the gateway's, so a write whose outcome is
// unknown is never re-sent.
import {
  Etcd3,
  GRPCDeadlineExceededError,
  GRPCInternalError,
  GRPCUnavailableError,
  GRPCUnknownError,
  castGrpcError,
  type IOptions,
} from "etcd3";
import { createEtcd, type Carrier, type EtcdOptions } from "./client.js";
import { classifyEtcdError, EndpointFailure, EtcdCompactedError, isInvalidAuthToken } from "./errors.js";
import type { Etcd } from "./types.js";
import type { BytesCodec, Unary, UnaryMethod, WireWatchResponse } from "./wire.js";

export interface GrpcEtcdOptions extends EtcdOptions {
  /** URLs such as http://127.0.0.1:2379. */
  endpoints: string[];
  /** Deadline of each call, streams included. Default 5000. */
  timeoutMs?: number;
  auth?: { user: string; password: string };
  /**
   * For https:// endpoints: PEM bytes of the CA to trust (else the system's),
   * and of a client certificate and its key (etcd's --client-cert-auth).
   */
  tls?: { ca?: Uint8Array; cert?: Uint8Array; key?: Uint8Array };
}

type Policy = NonNullable<NonNullable<IOptions["faultHandling"]>["global"]>;

// etcd3's default policies retry recoverable errors (a timed-out write among them)
// and open a breaker after three failures; this one just runs the call.
// One signal that never aborts, shared: a new AbortController per call showed in profiles.
const NEVER = new AbortController().signal;
const passThrough = {
  execute: (fn: (context: { signal: AbortSignal }) => unknown) => Promise.resolve().then(() => fn({ signal: NEVER })),
} as unknown as Policy;

// Zero-copy views; proto-loader hands out Buffers, the interface promises plain Uint8Arrays.
const buffers: BytesCodec<Buffer> = {
  encode: (bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
  decode: (wire) => (wire ? new Uint8Array(wire.buffer, wire.byteOffset, wire.byteLength) : new Uint8Array(0)),
  // Node's own UTF-8 paths: no TextEncoder round, and small keys come from Buffer's pool.
  encodeKey: (key) => Buffer.from(key, "utf8"),
  decodeKey: (wire) => (wire ? wire.toString("utf8") : ""),
};

// grpc-js fails a call this way when it never had a connection to send it on.
const NOT_CONNECTED = ["No connection established", "Name resolution failed"];

type Call<M extends UnaryMethod> = (client: Etcd3, req: Unary<Buffer>[M]["req"]) => Promise<Unary<Buffer>[M]["res"]>;

/** etcd's keepalive is a stream: one request, half-closed, and its one answer. */
async function keepAliveOnce(client: Etcd3, req: { ID: string }): Promise<{ TTL?: string }> {
  const stream = await client.leaseClient.leaseKeepAlive();
  return new Promise((resolve, reject) => {
    stream.on("data", resolve);
    stream.on("error", (e) => reject(castGrpcError(e)));
    stream.on("end", () => reject(new EndpointFailure("lease keepalive stream ended without an answer", true)));
    stream.write(req);
    stream.end();
  });
}

const CALLS: { [M in UnaryMethod]: Call<M> } = {
  txn: (c, req) => c.kv.txn(req as never) as never,
  leaseGrant: (c, req) => c.leaseClient.leaseGrant(req),
  leaseKeepAlive: keepAliveOnce,
  leaseRevoke: (c, req) => c.leaseClient.leaseRevoke(req),
  leaseTimeToLive: (c, req) => c.leaseClient.leaseTimeToLive(req) as never,
  compact: (c, req) => c.kv.compact(req),
};

export function createGrpcEtcd(opts: GrpcEtcdOptions): Etcd {
  return createEtcd(grpcCarrier(opts), opts);
}

/** etcd3's options for TLS; without any, it still uses TLS (system CAs) for https:// hosts. */
function credentialsOf(tls: GrpcEtcdOptions["tls"]): IOptions["credentials"] {
  if (!tls || (!tls.ca && !tls.cert && !tls.key)) return undefined;
  const buffer = (b?: Uint8Array) => (b ? Buffer.from(b) : undefined);
  // grpc-js falls back to the system's CAs when rootCertificate is left out; etcd3's type insists on one.
  return { rootCertificate: buffer(tls.ca)!, certChain: buffer(tls.cert), privateKey: buffer(tls.key) };
}

/**
 * etcd3 renews an expired token for unary calls only; a watch created with one
 * is canceled ("invalid auth token"), so the token is dropped and the watch's
 * retry authenticates afresh. Reaches into etcd3
 * 1.1.2's connection pool: it offers no public way.
 */
function dropToken(client: Etcd3): void {
  (client as unknown as { pool?: { authenticator?: { invalidateMetadata?(): void } } }).pool?.authenticator?.invalidateMetadata?.();
}


function grpcCarrier(opts: GrpcEtcdOptions): Carrier<Buffer> {
  const timeoutMs = opts.timeoutMs ?? 5000;
  const deadline = () => ({ deadline: Date.now() + timeoutMs });
  const credentials = credentialsOf(opts.tls);
  const clients = opts.endpoints.map(
    (host) =>
      new Etcd3({
        hosts: host,
        credentials,
        auth: opts.auth && { username: opts.auth.user, password: opts.auth.password, callOptions: deadline },
        defaultCallOptions: deadline,
        faultHandling: { host: () => passThrough, global: passThrough },
      }),
  );

  function failure(e: unknown, i: number): unknown {
    if (!(e instanceof Error) || e instanceof EndpointFailure || e instanceof EtcdCompactedError) return e;
    const endpoint = opts.endpoints[i]!;
    if (e instanceof GRPCUnavailableError && NOT_CONNECTED.some((m) => e.message.includes(m))) {
      return new EndpointFailure(`${endpoint}: ${e.message}`, false);
    }
    if (e instanceof GRPCDeadlineExceededError) return new EndpointFailure(`${endpoint}: no answer within ${timeoutMs} ms`, true);
    // The codes etcd's gateway answers with a 5xx.
    const serverFault = e instanceof GRPCUnavailableError || e instanceof GRPCInternalError || e instanceof GRPCUnknownError;
    return classifyEtcdError(e.message, serverFault) ?? e;
  }

  return {
    endpoints: clients.length,
    bytes: buffers,

    unary(i, method, req) {
      // etcd (3.4) asks no token of a lease keepalive, the one unary call carried by a stream.
      return (CALLS[method] as Call<typeof method>)(clients[i]!, req).catch((e: unknown) => {
        throw failure(e, i);
      });
    },

    async *watch(i, creates, signal) {
      if (signal.aborted) return;
      let stream;
      try {
        // No deadline: the caller's signal ends the stream.
        stream = await clients[i]!.watchClient.watch({ deadline: Infinity });
      } catch (e) {
        throw failure(e, i);
      }
      const cancel = () => stream.cancel();
      // Aborted while the stream was being opened: the abort event has passed.
      if (signal.aborted) {
        cancel();
        return;
      }
      signal.addEventListener("abort", cancel, { once: true });
      try {
        for (const create of creates) stream.write(create);
        // grpc-js streams are Node Readables, so async-iterable.
        for await (const res of stream as unknown as AsyncIterable<WireWatchResponse>) {
          // etcd cancels a watch created with an expired token; the retry gets a new one.
          if (res.canceled && opts.auth && isInvalidAuthToken(res.cancel_reason ?? "")) dropToken(clients[i]!);
          yield res;
        }
        if (!signal.aborted) throw new EndpointFailure(`${opts.endpoints[i]}: the watch stream ended`, false);
      } catch (e) {
        if (signal.aborted) return;
        throw failure(e instanceof EndpointFailure || e instanceof EtcdCompactedError ? e : castGrpcError(e as Error), i);
      } finally {
        signal.removeEventListener("abort", cancel);
        stream.cancel();
      }
    },

    async close() {
      for (const client of clients) client.close();
    },
  };
}
