// etcd round trips per ZooKeeper operation, as this process has measured them
// (the Node server's lifetime, or one Worker isolate's).
import { WRAPPED, type Etcd } from "./etcd/types.js";

export interface OpCount {
  count: number;
  roundTrips: number;
}

const byOp = new Map<string, OpCount>();

/**
 * An Etcd that counts the round trips made through it. A class, not an object
 * of arrow functions: one is made per request, and its methods then cost
 * nothing to make.
 */
class Counted implements Etcd {
  calls = 0;
  readonly [WRAPPED]: Etcd;
  constructor(private readonly etcd: Etcd) {
    this[WRAPPED] = etcd;
  }
  txn(...a: Parameters<Etcd["txn"]>) {
    this.calls++;
    return this.etcd.txn(...a);
  }
  leaseGrant(...a: Parameters<Etcd["leaseGrant"]>) {
    this.calls++;
    return this.etcd.leaseGrant(...a);
  }
  leaseKeepAlive(...a: Parameters<Etcd["leaseKeepAlive"]>) {
    this.calls++;
    return this.etcd.leaseKeepAlive(...a);
  }
  leaseRevoke(...a: Parameters<Etcd["leaseRevoke"]>) {
    this.calls++;
    return this.etcd.leaseRevoke(...a);
  }
  leaseTimeToLive(...a: Parameters<Etcd["leaseTimeToLive"]>) {
    this.calls++;
    return this.etcd.leaseTimeToLive(...a);
  }
  compact(...a: Parameters<Etcd["compact"]>) {
    this.calls++;
    return this.etcd.compact(...a);
  }
  watch(...a: Parameters<Etcd["watch"]>) {
    this.calls++;
    return this.etcd.watch(...a);
  }
  nextChange(...a: Parameters<Etcd["nextChange"]>) {
    this.calls++;
    return this.etcd.nextChange(...a);
  }
  roundTrips() {
    return this.etcd.roundTrips();
  }
  close() {
    return this.etcd.close();
  }
}

export function counting(etcd: Etcd): Etcd & { calls: number } {
  return new Counted(etcd);
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
