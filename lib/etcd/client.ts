// The Etcd interface, built once on top of a transport. A transport is a thin
// carrier: it sends one unary call or opens one watch stream on one endpoint
// and reports failures as the errors of errors.ts. Everything else (the wire
// codec, failover, what each call means, round-trip counting) is here, so the
// two transports cannot drift apart.
import type { Etcd, EtcdEvent, RoundTripKind, TxnRequest, TxnResponse } from "./types.js";
import { coalescer, readOnly } from "./coalesce.js";
import { EtcdLeaseNotFoundError, EtcdUnavailableError } from "./errors.js";
import { createFailover, failoverWatch } from "./failover.js";
import { sharedNextChange } from "./shared-watch.js";
import { eventsOf, fromWireTxn, int64, toWireTxn, toWireWatchCreate, txnWrites, type BytesCodec, type Unary, type UnaryMethod, type WireWatchCreate, type WireWatchResponse } from "./wire.js";

export interface Carrier<B> {
  /** How many endpoints there are; calls name one by index. */
  readonly endpoints: number;
  readonly bytes: BytesCodec<B>;
  /**
   * One call on endpoint `i`. `idempotent`: sending it twice is harmless
   * (a carrier that cannot tell whether a failed call was sent may then skip
   * its precautions).
   */
  unary<M extends UnaryMethod>(i: number, method: M, req: Unary<B>[M]["req"], idempotent: boolean): Promise<Unary<B>[M]["res"]>;
  /** One watch stream on endpoint `i` with these create requests, until `signal` aborts. */
  watch(i: number, creates: WireWatchCreate<B>[], signal: AbortSignal): AsyncIterable<WireWatchResponse>;
  close(): Promise<void>;
}

/** What both transports take besides their endpoints. */
export interface EtcdOptions {
  /** The cluster's --max-txn-ops: reads that share a txn stay within it. Default 128. */
  maxTxnOps?: number;
  /** Shared read txns on their way at once (coalesce.ts); 0 sends every read alone. Default 1. */
  readsInFlight?: number;
  /** Whether nextChange calls on the same keys share one etcd watch (shared-watch.ts). Default true. */
  shareWatches?: boolean;
  /** Where the line saying etcd became unavailable (and why), or available again, goes. Default console.error. */
  log?: (line: string) => void;
}

/**
 * One line when calls start failing with etcd unavailable (wrong credentials,
 * a refused certificate, no endpoint answering) and one when they succeed
 * again: an operator sees why the service answers 503, not a line per request.
 */
function availabilityLog(log: (line: string) => void) {
  // The name of the error class while failing: a change of reason is logged too.
  let failing: string | undefined;
  return {
    ok() {
      if (failing === undefined) return;
      failing = undefined;
      log("etcd: calls succeed again");
    },
    failed(e: unknown) {
      if (!(e instanceof EtcdUnavailableError) || failing === e.name) return;
      failing = e.name;
      log(`etcd: unavailable, requests answer 503 until this is resolved: ${e.message}`);
    },
  };
}

export function createEtcd<B>(carrier: Carrier<B>, opts: EtcdOptions = {}): Etcd {
  const run = createFailover(carrier.endpoints);
  const counts: Record<RoundTripKind, number> = { txn: 0, leaseGrant: 0, leaseKeepAlive: 0, leaseRevoke: 0, leaseTimeToLive: 0, compact: 0, watch: 0 };
  const availability = availabilityLog(opts.log ?? ((line) => console.error(line)));
  const call = async <M extends UnaryMethod>(method: M, req: Unary<B>[M]["req"], idempotent: boolean): Promise<Unary<B>[M]["res"]> => {
    counts[method]++;
    try {
      const res = await run((i) => carrier.unary(i, method, req, idempotent), idempotent);
      availability.ok();
      return res;
    } catch (e) {
      availability.failed(e);
      throw e;
    }
  };

  async function* watchAt(i: number, creates: WireWatchCreate<B>[], signal: AbortSignal): AsyncGenerator<EtcdEvent[]> {
    for await (const res of carrier.watch(i, creates, signal)) {
      const events = eventsOf(res, carrier.bytes);
      if (events.length > 0) yield events;
    }
  }

  const send = async (req: TxnRequest): Promise<TxnResponse> => fromWireTxn(await call("txn", toWireTxn(req, carrier.bytes), !txnWrites(req)), carrier.bytes);
  const readsInFlight = opts.readsInFlight ?? 1;
  const sendRead = readsInFlight > 0 ? coalescer(send, { maxOps: opts.maxTxnOps ?? 128, inFlight: readsInFlight }) : send;

  const watch: Etcd["watch"] = (ranges, fromRevision, signal) => {
    counts.watch++;
    const creates = (from: bigint) => ranges.map((r) => toWireWatchCreate(r, from, carrier.bytes));
    return failoverWatch(carrier.endpoints, (i, from) => watchAt(i, creates(from), signal), fromRevision);
  };
  const direct: Etcd["nextChange"] = async (ranges, fromRevision, signal) => {
    // Leaving the loop closes the stream.
    for await (const batch of watch(ranges, fromRevision, signal)) {
      return batch.reduce((min, e) => (e.kv.modRevision < min ? e.kv.modRevision : min), batch[0]!.kv.modRevision);
    }
    return null;
  };

  return {
    txn: (req) => (readOnly(req) ? sendRead(req) : send(req)),

    async leaseGrant(ttlSeconds, id) {
      // Granting twice without an id only leaks a lease that expires; with an id the retry would fail.
      const res = await call("leaseGrant", { TTL: String(ttlSeconds), ID: (id ?? 0n).toString() }, id === undefined);
      if (res.error) throw new Error(`lease grant: ${res.error}`);
      return int64(res.ID);
    },

    async leaseKeepAlive(id) {
      const ttl = int64((await call("leaseKeepAlive", { ID: id.toString() }, true)).TTL);
      return ttl > 0n ? { ttlSeconds: Number(ttl) } : null;
    },

    async leaseRevoke(id) {
      try {
        await call("leaseRevoke", { ID: id.toString() }, true);
        return true;
      } catch (e) {
        if (e instanceof EtcdLeaseNotFoundError) return false;
        throw e;
      }
    },

    async leaseTimeToLive(id) {
      const res = await call("leaseTimeToLive", { ID: id.toString() }, true);
      const ttl = int64(res.TTL);
      if (ttl < 0n) return null;
      return { ttlSeconds: Number(ttl), grantedTtlSeconds: Number(int64(res.grantedTTL)) };
    },

    async compact(revision) {
      await call("compact", { revision: revision.toString() }, true);
    },

    watch,

    nextChange: opts.shareWatches === false ? direct : sharedNextChange(watch, direct),

    roundTrips: () => ({ ...counts }),

    close: () => carrier.close(),
  };
}
