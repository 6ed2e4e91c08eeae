// The server's watches, ZooKeeper-style: per connection, a data table and a
// child table of paths, each entry standard (one-shot), persistent or
// persistent-recursive (3.6 addWatch). One process-wide stream of the tree's
// txns (lib/tree-events.ts) is matched against all of them, so a thousand
// watches cost no more etcd watches than one.
//
// A read sets its watch when its reply is written, with the read's zxid: only
// txns after that zxid fire it. The stream may already be past that zxid
// (it runs on its own); the txns it matched meanwhile are kept for a while
// and replayed against the new watch alone, in order, before it joins the
// tables. Matching is synchronous, so nothing slips between replay and join;
// delivery (which may read the event's ACL) is one ordered chain.
import { granted, PERMS } from "../lib/acl.js";
import { Ctx } from "../lib/context.js";
import type { Fired, Identity } from "../lib/model.js";
import { parentOf } from "../lib/path.js";
import { aclsAt, treeEvents, txnsAfter, type TxnEvents } from "../lib/tree-events.js";

export type Table = "data" | "child";
export type WatchMode = "standard" | "persistent" | "recursive";

/** A connection as the hub sees it. */
export interface Watcher {
  readonly ids: readonly Identity[];
  notify(type: Fired["type"], path: string, zxid: bigint): void;
}

interface Entry {
  mode: WatchMode;
  /** Txns up to this zxid happened before the watch was set. */
  after: bigint;
}

type Tables = Record<Table, Map<string, Map<Watcher, Entry>>>;

interface Hit {
  w: Watcher;
  f: Fired;
}

/** How many recent txns with events are kept for replay, and for how long. */
const RECENT_TXNS = 10_000;
const RECENT_MS = 120_000;

function* selfAndAncestors(path: string): Generator<string> {
  let p = path;
  for (;;) {
    yield p;
    if (p === "/") return;
    p = parentOf(p);
  }
}

/** ZooKeeper's WatchManager.triggerWatch over both tables, for one txn: who hears what, in order. Standard entries that fire are removed. */
function match(tables: Tables, txn: TxnEvents, recursive: boolean, fired?: (w: Watcher, table: Table, path: string) => void): Hit[] {
  const hits: Hit[] = [];
  for (const f of txn.fired) {
    const heard = new Set<Watcher>();
    const managers: Table[] = f.table === "both" ? ["data", "child"] : [f.table];
    for (const m of managers) {
      const table = tables[m];
      for (const at of recursive ? selfAndAncestors(f.path) : [f.path]) {
        const entries = table.get(at);
        if (!entries) continue;
        for (const [w, e] of entries) {
          if (txn.zxid <= e.after) continue;
          if (e.mode === "recursive") {
            if (f.type !== "NodeChildrenChanged") heard.add(w);
          } else if (at === f.path) {
            heard.add(w);
            if (e.mode === "standard") {
              entries.delete(w);
              fired?.(w, m, at);
            }
          }
        }
        if (entries.size === 0) table.delete(at);
      }
    }
    for (const w of heard) hits.push({ w, f });
  }
  return hits;
}

export class WatchHub {
  private readonly tables: Tables = { data: new Map(), child: new Map() };
  private recursiveCount = 0;
  private count = 0;
  /** Each watcher's watches, as table and path. */
  private readonly byWatcher = new Map<Watcher, Map<string, { table: Table; path: string }>>();
  /** Txns with events, newest last, for replay; complete for every zxid above `coveredAfter`. */
  private recent: { txn: TxnEvents; at: number }[] = [];
  private coveredAfter = -1n;
  /** The last txn matched, and the zxid offset then. */
  private revision = -1n;
  private off = 0n;
  zxid = -1n;
  private delivering: Promise<void> = Promise.resolve();
  /** Notifications matched but not yet written, per watcher. */
  private readonly undelivered = new Map<Watcher, number>();
  private waiters: { zxid: bigint; resolve(): void }[] = [];
  private readonly abort = new AbortController();
  private running: Promise<void> | undefined;

  constructor(private readonly ctx: () => Ctx) {}

  /** Starts following the tree; resolves once the stream's start is known (retrying while etcd is away). */
  async start(): Promise<void> {
    for (;;) {
      try {
        await this.open();
        return;
      } catch (e) {
        if (this.abort.signal.aborted) return;
        console.error("zkwire: cannot follow the tree yet, retrying:", e instanceof Error ? e.message : e);
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }

  private async open(): Promise<void> {
    const ctx = this.ctx();
    const opened = await treeEvents(ctx);
    this.revision = opened.revision;
    this.off = opened.revision - opened.zxid;
    this.zxid = opened.zxid;
    this.coveredAfter = opened.zxid;
    this.running = this.follow();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.running?.catch(() => undefined);
  }

  /** Follows the stream, resuming where it stopped after a failure (etcd away). */
  private async follow(): Promise<void> {
    const signal = this.abort.signal;
    while (!signal.aborted) {
      try {
        for await (const txn of txnsAfter(this.ctx(), this.revision, this.off, signal)) this.take(txn);
      } catch (e) {
        if (signal.aborted) return;
        if (e instanceof Error && "code" in e && (e as { code: string }).code === "WATCHEXPIRED") {
          // History compacted under a stalled stream: start again from now. Watches
          // set before keep waiting; events in the gap are lost (docs/wire.md).
          console.error("zkwire: the event stream lost history to compaction; following from now");
          try {
            const opened = await treeEvents(this.ctx());
            this.revision = opened.revision;
            this.off = opened.revision - opened.zxid;
            this.zxid = opened.zxid;
            this.coveredAfter = opened.zxid;
            this.recent = [];
          } catch {
            /* etcd still away: retried below */
          }
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  private take(full: TxnEvents): void {
    // Kept for replay: the events, and of the key changes only what an event's ACL needs (no znode data).
    const { keys } = this.ctx();
    const changes = full.changes.filter((c) => (c.kind === "delete" ? keys.nodePath(c.kv.key) !== null : keys.aclPath(c.kv.key) !== null));
    const txn: TxnEvents = { ...full, changes };
    this.revision = txn.revision;
    this.off = txn.revision - txn.zxid;
    this.zxid = txn.zxid;
    if (txn.fired.length > 0) {
      const now = Date.now();
      this.recent.push({ txn, at: now });
      while (this.recent.length > RECENT_TXNS || (this.recent.length > 0 && now - this.recent[0]!.at > RECENT_MS)) {
        this.coveredAfter = this.recent.shift()!.txn.zxid;
      }
      if (this.count > 0) this.deliver(txn, match(this.tables, txn, this.recursiveCount > 0, (w, table, path) => this.forget(w, table, path)));
    }
    this.waiters = this.waiters.filter((w) => {
      if (w.zxid > this.zxid) return true;
      w.resolve();
      return false;
    });
  }

  /** Sends the hits of one txn, in order, to the watchers allowed to read each event's node. */
  private deliver(txn: TxnEvents, hits: Hit[]): void {
    if (hits.length === 0) return;
    for (const { w } of hits) this.undelivered.set(w, (this.undelivered.get(w) ?? 0) + 1);
    const ctx = this.ctx();
    const acls = aclsAt(ctx, txn, hits.map((h) => h.f.path));
    acls.catch(() => undefined);
    this.delivering = this.delivering.then(async () => {
      let known: Awaited<typeof acls> | null = null;
      try {
        known = await acls;
      } catch (e) {
        // The ACL could not be read (etcd away, history compacted): tell everyone rather than no one.
        console.error("zkwire: could not read the ACLs of a watch event:", e);
      }
      for (const { w, f } of hits) {
        const acl = known?.get(f.path);
        if (acl == null || granted(acl, PERMS.READ, w.ids)) w.notify(f.type, f.path, txn.zxid);
        const left = this.undelivered.get(w)! - 1;
        if (left === 0) this.undelivered.delete(w);
        else this.undelivered.set(w, left);
      }
    });
  }

  /**
   * Resolves once every txn up to `zxid` has been matched and its
   * notifications written (or after `maxWaitMs`, if the stream lags): a reply
   * at `zxid` then follows the events it reflects, as ZooKeeper orders them.
   */
  async caughtUp(zxid: bigint, maxWaitMs = 2000): Promise<void> {
    if (zxid > this.zxid) {
      await new Promise<void>((resolve) => {
        const waiter = { zxid, resolve };
        this.waiters.push(waiter);
        setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          resolve();
        }, maxWaitMs).unref();
      });
    }
    await this.delivering;
  }

  /** Sets a watch that hears the txns after zxid `after`. */
  add(w: Watcher, table: Table, path: string, mode: WatchMode, after: bigint): void {
    const entry: Entry = { mode, after };
    if (after < this.zxid) {
      if (after < this.coveredAfter) {
        console.error(`zkwire: a watch on ${path} was set at zxid ${after}, before the replayable history (${this.coveredAfter}); events in between are not replayed`);
      } else {
        const alone: Tables = { data: new Map(), child: new Map() };
        alone[table].set(path, new Map([[w, entry]]));
        for (const { txn } of this.recent) {
          if (txn.zxid <= after) continue;
          this.deliver(txn, match(alone, txn, mode === "recursive"));
          if (!alone[table].get(path)?.has(w)) return; // a one-shot watch that fired
        }
      }
    }
    let entries = this.tables[table].get(path);
    if (!entries) this.tables[table].set(path, (entries = new Map()));
    const old = entries.get(w);
    // A one-shot watch leaves a persistent one on the same path as it is.
    if (old && old.mode !== "standard" && mode === "standard") return;
    if (old?.mode === "recursive") this.recursiveCount--;
    if (!old) {
      this.count++;
      let mine = this.byWatcher.get(w);
      if (!mine) this.byWatcher.set(w, (mine = new Map()));
      mine.set(`${table}\0${path}`, { table, path });
    }
    if (mode === "recursive") this.recursiveCount++;
    entries.set(w, entry);
  }

  /** Bookkeeping for an entry gone from the tables. */
  private forget(w: Watcher, table: Table, path: string): void {
    this.count--;
    const mine = this.byWatcher.get(w);
    mine?.delete(`${table}\0${path}`);
    if (mine?.size === 0) this.byWatcher.delete(w);
  }

  has(w: Watcher, table: Table, path: string): boolean {
    return this.tables[table].get(path)?.has(w) ?? false;
  }

  /** Removes a watch; false when there was none. */
  remove(w: Watcher, table: Table, path: string): boolean {
    const entries = this.tables[table].get(path);
    const old = entries?.get(w);
    if (!entries || !old) return false;
    entries.delete(w);
    if (entries.size === 0) this.tables[table].delete(path);
    if (old.mode === "recursive") this.recursiveCount--;
    this.forget(w, table, path);
    return true;
  }

  /** Whether `w` has watches, or notifications on their way: its replies must then wait for caughtUp. */
  listening(w: Watcher): boolean {
    return this.byWatcher.has(w) || this.undelivered.has(w);
  }

  /** Every watch `w` has, with its mode. */
  list(w: Watcher): { table: Table; path: string; mode: WatchMode }[] {
    return [...(this.byWatcher.get(w)?.values() ?? [])].map(({ table, path }) => ({ table, path, mode: this.tables[table].get(path)!.get(w)!.mode }));
  }

  removeAll(w: Watcher): void {
    for (const { table, path } of [...(this.byWatcher.get(w)?.values() ?? [])]) this.remove(w, table, path);
  }

  /** How many watches are set (mntr's zk_watch_count). */
  get watchCount(): number {
    return this.count;
  }
}
