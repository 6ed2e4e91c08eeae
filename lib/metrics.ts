// etcd round trips per ZooKeeper operation, as this process has measured them
// (the Node server's lifetime, or one Worker isolate's).
import { WRAPPED, type Etcd } from "./etcd/types.js";

export interface OpCount {
  count: number;
  roundTrips: number;
}

const byOp = new Map<string, OpCount>();

/** An Etcd that counts the round trips made through it. */
export function counting(etcd: Etcd): Etcd & { calls: number } {
  const counted = {
    calls: 0,
    txn: (...a: Parameters<Etcd["txn"]>) => (counted.calls++, etcd.txn(...a)),
    leaseGrant: (...a: Parameters<Etcd["leaseGrant"]>) => (counted.calls++, etcd.leaseGrant(...a)),
    leaseKeepAlive: (...a: Parameters<Etcd["leaseKeepAlive"]>) => (counted.calls++, etcd.leaseKeepAlive(...a)),
    leaseRevoke: (...a: Parameters<Etcd["leaseRevoke"]>) => (counted.calls++, etcd.leaseRevoke(...a)),
    leaseTimeToLive: (...a: Parameters<Etcd["leaseTimeToLive"]>) => (counted.calls++, etcd.leaseTimeToLive(...a)),
    compact: (...a: Parameters<Etcd["compact"]>) => (counted.calls++, etcd.compact(...a)),
    watch: (...a: Parameters<Etcd["watch"]>) => (counted.calls++, etcd.watch(...a)),
    nextChange: (...a: Parameters<Etcd["nextChange"]>) => (counted.calls++, etcd.nextChange(...a)),
    roundTrips: () => etcd.roundTrips(),
    close: () => etcd.close(),
    [WRAPPED]: etcd,
  };
  return counted;
}

export function recordOp(op: string, roundTrips: number): void {
  const entry = byOp.get(op) ?? { count: 0, roundTrips: 0 };
  entry.count++;
  entry.roundTrips += roundTrips;
  byOp.set(op, entry);
}

export function opCounts(): Record<string, OpCount & { perOp: number }> {
  const out: Record<string, OpCount & { perOp: number }> = {};
  for (const [op, { count, roundTrips }] of [...byOp].sort(([a], [b]) => a.localeCompare(b))) {
    out[op] = { count, roundTrips, perOp: Math.round((roundTrips / count) * 100) / 100 };
  }
  return out;
}
