// Persistent watches (ZooKeeper 3.6's addWatch): every
// event at a znode, or anywhere in its subtree, from a zxid on, until the
// caller stops listening. One etcd watch over the whole tree sees its
// revisions in order; each revision that was a ZooKeeper txn becomes the
// events ZooKeeper fires for it: those a txn of several ops recorded
// (events.ts), or else the ones its node keys' changes stand for.
import { granted, PERMS } from "./acl.js";
import type { Ctx } from "./context.js";
import type { KeyValue } from "./etcd/types.js";
import { ZkError } from "./errors.js";
import { atZxid } from "./history.js";
import type { WatchEvent } from "./model.js";
import { validatePath } from "./path.js";
import { offsetOf } from "./records.js";
import { readSettled } from "./settle.js";
import { aclsAt, txnsAfter, type TxnEvents } from "./tree-events.js";
import { expiredWatch, readPast } from "./watch.js";

export interface PersistentWatch {
  /** The zxid the events follow. */
  since: bigint;
  /** Each ZooKeeper txn from then on, with the events of it this watch hears (often none), until `signal` aborts. */
  events(signal: AbortSignal): AsyncIterable<{ zxid: bigint; events: WatchEvent[] }>;
}

/** Whether `path` is `root` or below it. */
function within(path: string, root: string): boolean {
  return root === "/" || path === root || path.startsWith(`${root}/`);
}

/**
 * Opens a persistent watch on `path` (`recursive`: its subtree too) for the
 * events after zxid `since` (null: from now). Checks what can be refused
 * before any event: the path, the session, a zxid ahead of the tree or older
 * than etcd's compacted history.
 */
export async function persistentWatch(ctx: Ctx, path: string, recursive: boolean, since: bigint | null): Promise<PersistentWatch> {
  validatePath(path);
  const now = await readSettled(ctx, {});
  const nowBase = now.base!;
  const zxidNow = now.zxid;
  if (since !== null && since > zxidNow) {
    throw new ZkError("BADARGUMENTS", `zxid ${since} is ahead of the last zxid ${zxidNow}: pass a zxid this service gave`);
  }
  let start = { revision: now.revision, base: nowBase };
  if (since !== null && since !== zxidNow) {
    const found = await atZxid(since, nowBase, async (revision) => {
      const res = await readPast(ctx, path, [{ range: { key: ctx.keys.base(), revision } }]);
      const r = res.responses[0]!;
      const base = "range" in r ? r.range.kvs[0] : undefined;
      // A revision before the base key's is of an earlier tree under this prefix.
      if (base === undefined) throw expiredWatch(path);
      return { base, value: base };
    });
    start = { revision: found.revision, base: found.value };
  }
  return {
    since: since ?? zxidNow,
    events: (signal) => stream(ctx, path, recursive, start.revision, start.base, signal),
  };
}

async function* stream(ctx: Ctx, path: string, recursive: boolean, after: bigint, base: KeyValue, signal: AbortSignal): AsyncGenerator<{ zxid: bigint; events: WatchEvent[] }> {
  try {
    for await (const txn of txnsAfter(ctx, after, offsetOf(base), signal)) {
      yield { zxid: txn.zxid, events: await eventsOf(ctx, path, recursive, txn) };
    }
  } catch (e) {
    throw e instanceof ZkError && e.code === "WATCHEXPIRED" ? expiredWatch(path) : e;
  }
}

/** The events of one txn that this watch hears, in ZooKeeper's order. */
async function eventsOf(ctx: Ctx, path: string, recursive: boolean, txn: TxnEvents): Promise<WatchEvent[]> {
  // ZooKeeper 3.6: a persistent watch hears its node's events and its children
  // changing; a recursive one, the node events of its whole subtree.
  const heard = txn.fired.filter((f) => (recursive ? f.table !== "child" && within(f.path, path) : f.path === path));
  if (heard.length === 0) return [];
  // Told only with READ on the node's ACL at the event (ZooKeeper 3.8.4+).
  const acls = await aclsAt(ctx, txn, heard.map((f) => f.path));
  return heard
    .filter((f) => {
      const acl = acls.get(f.path);
      return acl == null || granted(acl, PERMS.READ, ctx.caller.ids);
    })
    .map((f) => ({ type: f.type, path: f.path, zxid: txn.zxid }));
}
