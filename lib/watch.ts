// One-shot watches: the first event after a zxid that
// ZooKeeper would deliver to a data, exists or children watch.
//
// Nothing is registered anywhere, so any instance can answer any poll: the
// watch names the read it was set by (its zxid), and the event is looked up
// in etcd's history. The keys a watch depends on are compared between that
// read's revision and later ones; the first revision where they differ is
// found with a k-ary search over past revisions (history.ts), and that
// revision's zxid is the event's. An etcd watch stream only
// wakes the search up when nothing has happened yet. Nothing is lost between
// polls, and a zxid older than the compacted history is WATCHEXPIRED.
import { checkAcl, granted, PERMS } from "./acl.js";
import type { Ctx } from "./context.js";
import { EtcdCompactedError } from "./etcd/errors.js";
import { type KeyValue, type RangeRequest, type RangeResponse, type RequestOp, type TxnResponse, type WatchRange } from "./etcd/types.js";
import { ZkError } from "./errors.js";
import { firstIn } from "./events.js";
import { atZxid, firstHit } from "./history.js";
import type { EventType, WatchEvent, WatchType } from "./model.js";
import { parentOf, validatePath } from "./path.js";
import { decodeAcl, decodeEvents, offsetOf } from "./records.js";
import { readSettled } from "./settle.js";

/** What a watch depends on, at one revision. */
interface State {
  revision: bigint;
  base: KeyValue;
  node: KeyValue | null;
  /** children watches: the creations counter's mod revision (0: absent) and the child count. */
  creations: bigint;
  count: bigint;
}

const zxidOf = (s: State): bigint => s.revision - offsetOf(s.base);

function readRanges(ctx: Ctx, path: string, type: WatchType, revision: bigint): RangeRequest[] {
  const { keys } = ctx;
  const ranges: RangeRequest[] = [{ key: keys.base(), revision }, { key: keys.node(path), revision }];
  if (type === "children") {
    ranges.push({ key: keys.creations(path), revision, keysOnly: true }, { ...keys.children(path), revision, countOnly: true });
  }
  return ranges;
}

/** The state at `revision` from the answers to readRanges; null when there was no tree then. */
function stateOf(revision: bigint, answers: RangeResponse[]): State | null {
  const [base, node, creations, count] = answers;
  if (!base!.kvs[0]) return null;
  return { revision, base: base!.kvs[0], node: node!.kvs[0] ?? null, creations: creations?.kvs[0]?.modRevision ?? 0n, count: count?.count ?? 0n };
}

/** Reads the watched state at each revision (0: current) in one round trip; `extra` ranges go first. */
async function readStates(ctx: Ctx, path: string, type: WatchType, revisions: bigint[], extra: RangeRequest[] = []): Promise<{ states: State[]; extra: KeyValue[][] }> {
  const per = readRanges(ctx, path, type, 0n).length;
  const ops: RequestOp[] = [...extra, ...revisions.flatMap((r) => readRanges(ctx, path, type, r))].map((range) => ({ range }));
  const res = await readPast(ctx, path, ops);
  const answers = res.responses.map((r) => ("range" in r ? r.range : { kvs: [], count: 0n, more: false }));
  const at = extra.length;
  const states = revisions.map((r, i) => {
    // Zxids start at the bootstrap: a revision without the base key is of an
    // earlier tree under this prefix.
    const state = stateOf(r === 0n ? res.revision : r, answers.slice(at + i * per, at + (i + 1) * per));
    if (state === null) throw expiredWatch(path);
    return state;
  });
  return { states, extra: answers.slice(0, at).map((a) => a.kvs) };
}

/** The watched state now, with the node's ACL, in the read that also checks the caller's session (settle.ts). */
async function readNow(ctx: Ctx, path: string, type: WatchType): Promise<{ state: State; acl: KeyValue | null }> {
  const snap = await readSettled(ctx, { ranges: [{ key: ctx.keys.acl(path) }, ...readRanges(ctx, path, type, 0n)] });
  return { state: stateOf(snap.revision, snap.ranges.slice(1))!, acl: snap.ranges[0]!.kvs[0] ?? null };
}

/** Whether anything the watch depends on differs between two states. */
function changed(type: WatchType, from: State, to: State): boolean {
  if (type === "children") {
    // Every child create bumps the creations counter; a child deleted without
    // one (an expiry, a delete) lowers the count. The deletions counter is
    // left out: reconciliation rewrites it without any ZooKeeper change.
    return (from.node?.createRevision ?? 0n) !== (to.node?.createRevision ?? 0n) || from.creations !== to.creations || from.count !== to.count;
  }
  // Only create and setData write a node key (setACL writes the ACL key).
  return (from.node?.modRevision ?? 0n) !== (to.node?.modRevision ?? 0n);
}

/**
 * The event ZooKeeper fires first for the change from `from` to `at`, where
 * `at` is the first revision that changed anything, when one op made it. (A
 * multi records its own first events: firstEvent.)
 */
function eventType(type: WatchType, from: State, at: State): EventType {
  if (type === "children") return at.node === null ? "NodeDeleted" : "NodeChildrenChanged";
  if (from.node === null) return "NodeCreated";
  return at.node === null ? "NodeDeleted" : "NodeDataChanged";
}

/** The first revision in (lo, hi.revision] whose state differs from `from`; `hi`'s does. */
async function firstChange(ctx: Ctx, path: string, type: WatchType, from: State, lo: bigint, hi: State): Promise<State> {
  const per = readRanges(ctx, path, type, 0n).length;
  const probe = async (revisions: bigint[]) => (await readStates(ctx, path, type, revisions)).states;
  return (await firstHit(ctx, lo, { revision: hi.revision, value: hi }, per, probe, (s) => changed(type, from, s))).value;
}

/** A node's parent's creations counter and the node's key, at one revision. */
interface Lineage {
  creations: KeyValue | null;
  node: boolean;
  /** Created and deleted again by the multi of this very revision. */
  fleeting: boolean;
}

async function readLineage(ctx: Ctx, path: string, revisions: bigint[]): Promise<Lineage[]> {
  const { keys } = ctx;
  const success: RequestOp[] = revisions.flatMap((revision) => [
    { range: { key: keys.creations(parentOf(path)), revision } },
    { range: { key: keys.node(path), revision, keysOnly: true } },
    { range: { key: keys.events(), revision } },
  ]);
  const res = await readPast(ctx, path, success);
  const kvs = res.responses.map((r) => ("range" in r ? r.range.kvs : []));
  return revisions.map((revision, i) => ({
    creations: kvs[3 * i]![0] ?? null,
    node: kvs[3 * i + 1]!.length > 0,
    fleeting: firstIn(recordedAt(kvs[3 * i + 2]![0], revision) ?? [], "data", path) === "NodeCreated",
  }));
}

/**
 * The first revision in (lo, hi] at which `path`, absent at lo, exists; null
 * if none. Its state at hi cannot tell (it may have come and gone), but
 * every create of a child moves the parent's creations counter, and only a
 * parent that exists can have children: so the search steps from one move
 * of that counter to the next, and through the parent's own creation first
 * when the parent is missing too.
 */
async function firstCreation(ctx: Ctx, path: string, lo: bigint, hi: bigint): Promise<bigint | null> {
  if (path === "/") return null;
  for (;;) {
    if (lo >= hi) return null;
    const [atLo, atHi] = (await readLineage(ctx, path, [lo, hi])) as [Lineage, Lineage];
    const base = atLo.creations;
    if (base === null) {
      // The parent is missing: the node comes with it (one multi) or after it.
      const parentAt = await firstCreation(ctx, parentOf(path), lo, hi);
      if (parentAt === null) return null;
      const at = (await readLineage(ctx, path, [parentAt]))[0]!;
      if (at.node || at.fleeting) return parentAt;
      lo = parentAt;
      continue;
    }
    // Moved: a child created (a new version) or the parent deleted (another incarnation, or none).
    const moved = (l: Lineage) => l.creations === null || l.creations.createRevision !== base.createRevision || l.creations.version !== base.version;
    if (!moved(atHi)) return null;
    const at = await firstHit(ctx, lo, { revision: hi, value: atHi }, 3, (revisions) => readLineage(ctx, path, revisions), moved);
    if (at.value.node || at.value.fleeting) return at.revision;
    lo = at.revision;
  }
}

/** The watched state as of zxid `since`, and the node's ACL key then. */
async function stateAtZxid(ctx: Ctx, path: string, type: WatchType, since: bigint, now: State): Promise<{ state: State; acl: KeyValue | null }> {
  const { value } = await atZxid(since, now.base, async (revision) => {
    const read = await readStates(ctx, path, type, [revision], [{ key: ctx.keys.acl(path), revision }]);
    const state = read.states[0]!;
    return { base: state.base, value: { state, acl: read.extra[0]![0] ?? null } };
  });
  return value;
}

/** The events a multi recorded, if the txn at `revision` was one (events.ts). */
function recordedAt(kv: KeyValue | undefined, revision: bigint) {
  return kv !== undefined && kv.modRevision === revision ? decodeEvents(kv.value) : null;
}

/**
 * The event ZooKeeper fires first for the change `at`, and whether it tells
 * the caller: since 3.8.4 (CVE-2024-23944; in the 3.8 packages of the
 * distributions too) a notification goes only to a watcher with READ on the
 * node's ACL as it was at the event (the deleted node's for a deletion). A
 * withheld event still ends the one-shot watch.
 */
async function firstEvent(ctx: Ctx, path: string, type: WatchType, from: State, at: State, known?: KeyValue[][]): Promise<{ event: WatchEvent; told: boolean }> {
  const kvs = known ?? (await readPast(ctx, path, eventRanges(ctx, path, at.revision).map((range) => ({ range })))).responses.map((r) => ("range" in r ? r.range.kvs : []));
  const [events, aclAt, aclBefore] = kvs.map((k) => k[0]);
  const recorded = recordedAt(events, at.revision);
  const kind = (recorded && firstIn(recorded, type === "children" ? "child" : "data", path)) ?? eventType(type, from, at);
  const acl = kind === "NodeDeleted" || at.node === null ? aclBefore : aclAt;
  const told = acl === undefined || granted(decodeAcl(acl.value).acl, PERMS.READ, ctx.caller.ids);
  return { event: { type: kind, path, zxid: zxidOf(at) }, told };
}

/** What firstEvent reads of the change at `revision`: the events a multi recorded, and the node's ACL at and just before it. */
function eventRanges(ctx: Ctx, path: string, revision: bigint): RangeRequest[] {
  const { keys } = ctx;
  return [
    { key: keys.events(), revision },
    { key: keys.acl(path), revision },
    { key: keys.acl(path), revision: revision - 1n },
  ];
}

/** Resolves once `signal` aborts. */
function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", () => resolve(), { once: true });
  });
}

export function expiredWatch(path: string): ZkError {
  return new ZkError("WATCHEXPIRED", "etcd has compacted the history this watch needs: read again and watch from that read's zxid", path);
}

/** A read, some of it at past revisions: history etcd compacted away is WATCHEXPIRED. */
export async function readPast(ctx: Ctx, path: string, success: RequestOp[]): Promise<TxnResponse> {
  try {
    return await ctx.etcd.txn({ success });
  } catch (e) {
    throw e instanceof EtcdCompactedError ? expiredWatch(path) : e;
  }
}

function watchRanges(ctx: Ctx, path: string, type: WatchType): WatchRange[] {
  const { keys } = ctx;
  const ranges: WatchRange[] = [{ key: keys.node(path) }];
  if (type === "children") ranges.push({ key: keys.creations(path) }, keys.children(path));
  return ranges;
}

/**
 * The first event after zxid `since` (null: from now) that a `type` watch on
 * `path` receives, waiting until `signal` aborts; null if none came by then.
 * A data or children watch needs the node to have existed at `since` (the read
 * that set it succeeded) and READ permission then, as ZooKeeper's getData and
 * getChildren do.
 */
export async function nextEvent(ctx: Ctx, path: string, type: WatchType, since: bigint | null, signal: AbortSignal): Promise<WatchEvent | null> {
  validatePath(path);
  const first = await readNow(ctx, path, type);
  let now = first.state;
  if (since !== null && since > zxidOf(now)) {
    throw new ZkError("BADARGUMENTS", `zxid ${since} is ahead of the last zxid ${zxidOf(now)}: pass the zxid of the read that set the watch`);
  }
  let acl = first.acl;
  let from = now;
  if (since !== null && since !== zxidOf(now)) ({ state: from, acl } = await stateAtZxid(ctx, path, type, since, now));
  if (type !== "exists") {
    if (from.node === null) throw new ZkError("NONODE", `${path} did not exist at zxid ${zxidOf(from)}: a ${type} watch needs a read that found it`, path);
    if (acl) checkAcl(decodeAcl(acl.value).acl, PERMS.READ, ctx.caller.ids, path);
  }
  let lo = from.revision;
  /** The state at the revision etcd woke the poll for, when that is the first change (one watched key). */
  let woke: State | null = null;
  /** What firstEvent needs of `woke`, read with it. */
  let wokeEvent: KeyValue[][] | undefined;
  for (;;) {
    let at: State | null = null;
    if (woke !== null && changed(type, from, woke)) {
      at = woke;
    } else if (type === "exists" && from.node === null) {
      // Absent then and now says nothing: it may have come and gone since.
      const created = await firstCreation(ctx, path, lo, now.revision);
      if (created !== null) at = created === now.revision ? now : (await readStates(ctx, path, type, [created])).states[0]!;
    } else if (changed(type, from, now)) {
      at = await firstChange(ctx, path, type, from, lo, now);
    }
    if (at !== null) {
      const { event, told } = await firstEvent(ctx, path, type, from, at, at === woke ? wokeEvent : undefined);
      if (told) return event;
      // Withheld, as ZooKeeper withholds it: this watch gets no event, ever.
      await aborted(signal);
      return null;
    }
    lo = now.revision;
    const ranges = watchRanges(ctx, path, type);
    const woken = await ctx.etcd.nextChange(ranges, now.revision + 1n, signal);
    if (woken === null) return null;
    // One watched key: etcd's first change after lo is the event's revision, no
    // search needed, and what the event needs is read in the same round trip.
    const single = ranges.length === 1;
    const read = await readStates(ctx, path, type, single ? [0n, woken] : [0n], single ? eventRanges(ctx, path, woken) : []);
    now = read.states[0]!;
    woke = read.states[1] ?? null;
    wokeEvent = single ? read.extra : undefined;
    ctx.sawZxid(zxidOf(now));
  }
}
