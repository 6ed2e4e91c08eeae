// Watch polls and event streams each hold a connection (and a share of an
// etcd watch) for up to ZK_MAX_WATCH_TIMEOUT_MS. How many may be open at once
// is bounded per caller and per process (per isolate on the Worker); past
// either bound the caller is told to come back (429 with Retry-After).
import type { Config } from "../lib/config.js";
import type { Identity } from "../lib/model.js";
import { HttpError } from "./errors.js";

/**
 * Who a caller is for these bounds: its digest identity (user and password
 * hash, so a wrong password cannot use up the real user's share), else its
 * address.
 */
export function callerKey(ids: readonly Identity[]): string {
  const digest = ids.find((i) => i.scheme === "digest");
  if (digest) return `digest:${digest.id}`;
  const ip = ids.find((i) => i.scheme === "ip");
  return ip ? `ip:${ip.id}` : "anonymous";
}

export class Waits {
  private total = 0;
  private readonly byCaller = new Map<string, number>();

  /** Takes a place for `caller`, or throws TOOMANYREQUESTS; the function returned gives it back (once). */
  enter(caller: string, config: Config): () => void {
    const mine = this.byCaller.get(caller) ?? 0;
    if (mine >= config.maxWaitsPerCaller) {
      throw new HttpError("TOOMANYREQUESTS", `this caller has ${mine} watch polls and event streams open, the most allowed (ZK_MAX_WAITS_PER_CALLER); retry when one ends`);
    }
    if (this.total >= config.maxWaits) {
      throw new HttpError("TOOMANYREQUESTS", `this server has ${this.total} watch polls and event streams open, the most allowed (ZK_MAX_WAITS); retry later`);
    }
    this.total++;
    this.byCaller.set(caller, mine + 1);
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.total--;
      const n = (this.byCaller.get(caller) ?? 1) - 1;
      if (n === 0) this.byCaller.delete(caller);
      else this.byCaller.set(caller, n);
    };
  }

  /** Open right now, for /v1/stats. */
  get open(): number {
    return this.total;
  }
}
