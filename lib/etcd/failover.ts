// Failover across the endpoints of one etcd cluster, for unary calls and for
// watch streams, shared by both transports.
import type { EtcdEvent } from "./types.js";
import { EndpointFailure, EtcdUnavailableError } from "./errors.js";

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

/**
 * A watch over several endpoints: when one fails, the next takes over from the
 * revision after the last change seen. Gives up (EtcdUnavailableError) when
 * every endpoint failed in a row.
 */
export async function* failoverWatch(
  count: number,
  open: (endpoint: number, fromRevision: bigint) => AsyncIterable<EtcdEvent[]>,
  fromRevision: bigint,
): AsyncGenerator<EtcdEvent[]> {
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
