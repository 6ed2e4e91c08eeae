// Reading etcd's history: when did something change? Reconciliation asks when
// etcd deleted an expired ephemeral; a watch asks when the keys it depends on
// first changed after a read. Both are searches over past revisions for the
// first one where a monotone condition holds, made as k-ary searches: as many
// probes per round trip as one etcd txn allows.
import type { Ctx } from "./context.js";
import type { KeyValue } from "./etcd/types.js";
import { offsetOf } from "./records.js";

/**
 * The first revision in (lo, hi.revision] whose probe hits, given that hi's
 * does and that once a probe hits every later one does. `probe` reads the
 * given revisions (one etcd txn) and answers a value for each; `opsPerProbe`
 * is how many ranges one revision costs it.
 */
export async function firstHit<T>(
  ctx: Ctx,
  lo: bigint,
  hi: { revision: bigint; value: T },
  opsPerProbe: number,
  probe: (revisions: bigint[]) => Promise<T[]>,
  hit: (value: T) => boolean,
): Promise<{ revision: bigint; value: T }> {
  const probes = BigInt(Math.max(1, Math.min(64, Math.floor(ctx.config.etcdMaxTxnOps / opsPerProbe))));
  while (hi.revision - lo > 1n) {
    const span = hi.revision - lo;
    const revisions: bigint[] = [];
    for (let i = 1n; i <= probes; i++) {
      const r = lo + (span * i) / (probes + 1n);
      if (r > lo && r < hi.revision && r !== revisions[revisions.length - 1]) revisions.push(r);
    }
    const values = await probe(revisions);
    const first = values.findIndex(hit);
    if (first === -1) {
      lo = revisions[revisions.length - 1]!;
    } else {
      hi = { revision: revisions[first]!, value: values[first]! };
      if (first > 0) lo = revisions[first - 1]!;
    }
  }
  return hi;
}

/**
 * The newest revision whose zxid is `zxid`, read with `read` (which reports
 * the base key at the revision it read). zxid(r) = r − offset(r), and the
 * offset only grows: start from today's offset and step back while the
 * offset then was smaller.
 */
export async function atZxid<T>(zxid: bigint, nowBase: KeyValue, read: (revision: bigint) => Promise<{ base: KeyValue; value: T }>): Promise<{ revision: bigint; value: T }> {
  let revision = zxid + offsetOf(nowBase);
  for (;;) {
    const { base, value } = await read(revision);
    const next = zxid + offsetOf(base);
    if (next === revision) return { revision, value };
    revision = next;
  }
}
