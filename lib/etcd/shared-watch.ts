// Long polls waiting on the same keys share one etcd watch. A thousand
// clients polling one znode would otherwise hold a thousand etcd watchers;
// now they hold one, started at the first poll's revision, and each poll is
// answered from the revisions that watch has seen since. A poll asking about
// revisions before the shared watch began (or before what it still
// remembers) gets a watch of its own, as before.
import type { Etcd, WatchRange } from "./types.js";

/** Revisions one shared watch remembers for polls that arrive late. */
const REMEMBERED = 1024;
/** How long a shared watch nobody waits on stays open for the next poll (a client re-polls at once). */
const IDLE_MS = 2000;

type Watch = Etcd["watch"];

interface Waiter {
  from: bigint;
  settle(revision: bigint | null, error?: unknown): void;
}

class SharedWatch {
  private readonly waiters = new Set<Waiter>();
  /** Every revision in which the watched keys changed, ascending, from `complete` on. */
  private readonly seen: bigint[] = [];
  /** The shared watch has seen every change at or after this revision. */
  private complete: bigint;
  private readonly controller = new AbortController();
  private failed: unknown = undefined;
  private idle: ReturnType<typeof setTimeout> | undefined;

  constructor(
    watch: Watch,
    ranges: WatchRange[],
    from: bigint,
    private readonly onClose: () => void,
  ) {
    this.complete = from;
    void this.pump(watch, ranges, from);
  }

  /** With no one waiting, close after a while unless someone comes. */
  private waitersChanged(): void {
    if (this.idle !== undefined) clearTimeout(this.idle);
    this.idle = undefined;
    if (this.waiters.size > 0 || this.controller.signal.aborted) return;
    this.idle = setTimeout(() => this.close(), IDLE_MS);
    (this.idle as { unref?: () => void }).unref?.();
  }

  private async pump(watch: Watch, ranges: WatchRange[], from: bigint): Promise<void> {
    try {
      for await (const batch of watch(ranges, from, this.controller.signal)) {
        // A batch may hold several revisions; one range's arrive in order.
        for (const revision of new Set(batch.map((e) => e.kv.modRevision))) this.saw(revision);
      }
    } catch (e) {
      this.failed = e;
      for (const w of this.waiters) w.settle(null, e);
      this.waiters.clear();
    } finally {
      this.close();
    }
  }

  private saw(revision: bigint): void {
    if (this.seen.length === 0 || revision > this.seen[this.seen.length - 1]!) this.seen.push(revision);
    else if (!this.seen.includes(revision)) this.seen.splice(this.seen.findIndex((r) => r > revision), 0, revision);
    if (this.seen.length > REMEMBERED) this.complete = this.seen.shift()! + 1n;
    for (const w of this.waiters) {
      if (revision >= w.from) {
        this.waiters.delete(w);
        w.settle(revision);
      }
    }
    this.waitersChanged();
  }

  /** Whether this watch can answer for changes at or after `from`. */
  covers(from: bigint): boolean {
    return this.failed === undefined && !this.controller.signal.aborted && from >= this.complete;
  }

  /** The first revision at or after `from` in which the keys changed; null once `signal` aborts. */
  next(from: bigint, signal: AbortSignal): Promise<bigint | null> {
    const known = this.seen.find((r) => r >= from);
    if (known !== undefined) return Promise.resolve(known);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        from,
        settle: (revision, error) => {
          signal.removeEventListener("abort", leave);
          if (error !== undefined) reject(error);
          else resolve(revision);
        },
      };
      const leave = () => {
        this.waiters.delete(waiter);
        waiter.settle(null);
        this.waitersChanged();
      };
      if (signal.aborted) return resolve(null);
      signal.addEventListener("abort", leave, { once: true });
      this.waiters.add(waiter);
      this.waitersChanged();
    });
  }

  close(): void {
    if (this.idle !== undefined) clearTimeout(this.idle);
    if (!this.controller.signal.aborted) this.controller.abort();
    this.onClose();
  }
}

/**
 * nextChange for one etcd client: the revision of the first change to any of
 * `ranges` at or after `from` (at once if it is known), or null once
 * `signal` aborts. Polls on the same ranges share one etcd watch.
 */
export function sharedNextChange(watch: Watch, direct: (ranges: WatchRange[], from: bigint, signal: AbortSignal) => Promise<bigint | null>) {
  const shared = new Map<string, SharedWatch>();
  return (ranges: WatchRange[], from: bigint, signal: AbortSignal): Promise<bigint | null> => {
    if (signal.aborted) return Promise.resolve(null);
    const key = JSON.stringify(ranges);
    let s = shared.get(key);
    if (s !== undefined && !s.covers(from)) return direct(ranges, from, signal);
    if (s === undefined) {
      const made: SharedWatch = new SharedWatch(watch, ranges, from, () => {
        if (shared.get(key) === made) shared.delete(key);
      });
      shared.set(key, made);
      s = made;
    }
    return s.next(from, signal);
  };
}
