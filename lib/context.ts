// What every lib/ operation is given: the etcd client, the key layout, the
// configuration, and who is asking (fixed when the context is made). Nothing
// here outlives a request; what it accumulates (the newest zxid seen, the
// expiries found) is that request's own.
import type { Config } from "./config.js";
import type { Etcd } from "./etcd/types.js";
import { Keys } from "./keys.js";
import type { Caller } from "./model.js";

export class Ctx {
  readonly keys: Keys;
  /** The newest zxid this request has seen: ZooKeeper's reply-header zxid. */
  lastZxid: bigint | null = null;
  /** Parents this request reconciled (settle.ts): the scheduled run reports it. */
  reconciledParents = 0;
  /** Zxid of each expired session's expiry, once found (null: history compacted). */
  readonly expiries = new Map<bigint, bigint | null>();

  constructor(
    readonly etcd: Etcd,
    readonly config: Config,
    readonly caller: Caller = { ids: [] },
    readonly now: () => number = Date.now,
  ) {
    this.keys = new Keys(config.prefix);
  }

  sawZxid(zxid: bigint): void {
    if (this.lastZxid === null || zxid > this.lastZxid) this.lastZxid = zxid;
  }
}
