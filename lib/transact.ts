// Runs ZooKeeper write ops as one guarded etcd transaction: read a snapshot,
// plan in memory, commit guarded by what the plan was decided on. A lost race
// reads again and plans again; from the second attempt on, the re-read rides
// in the commit's failure branch, so losing again costs no extra round trip.
// A failed op still commits: ZooKeeper's error txn spends a zxid.
import type { Ctx } from "./context.js";
import { underlying, type Compare, type Etcd, type RequestOp } from "./etcd/types.js";
import { ZkError } from "./errors.js";
import { firedBy } from "./events.js";
import { isSequential, type WriteOp, type WriteResult, type ZNode } from "./model.js";
import { parentOf } from "./path.js";
import { NeedPaths, plan, type NodeChange, type Part, type Plan } from "./plan.js";
import { encodeAcl, encodeCounter, encodeElistEntry, encodeEvents, encodeNode } from "./records.js";
import { readSettled } from "./settle.js";
import { inTurn, type Turn } from "./turns.js";
import { normalize, planRead, type KeySet, type ReadSet, type Snapshot } from "./snapshot.js";

export interface Committed {
  zxid: bigint;
  results: WriteResult[];
}

export interface TransactOptions {
  /** Deletes the session key in the same txn (closeSession). */
  closeSession?: bigint;
  /** Reads beyond what the ops name (closeSession lists the session's ephemerals). */
  readSet?: ReadSet;
}

/** What ops touch: each path, and the parent of every create and delete. */
export function readSetOf(ops: WriteOp[]): Set<string> {
  const paths = new Set<string>();
  for (const op of ops) {
    if (op.op !== "setData" && op.op !== "check" && op.op !== "setACL") paths.add(parentOf(op.path));
    if (!(op.op === "create" && isSequential(op.mode))) paths.add(op.path);
  }
  return paths;
}

/**
 * Parents whose children count no op needs: a create or delete only bumps the
 * parent's counters, and its answer carries no Stat of the parent. A parent
 * that is also an op's own path (set, checked, deleted, created) is counted.
 */
export function uncountedOf(ops: WriteOp[]): Set<string> {
  const parents = new Set<string>();
  for (const op of ops) if (op.op === "create" || op.op === "delete") parents.add(parentOf(op.path));
  for (const op of ops) parents.delete(op.path);
  return parents;
}

/**
 * The keys `ops` both rely on exactly and write, so that every other writer
 * of them makes them lose: a sequential create writes the parent's creations
 * count its name relies on, and setData, setACL and delete write the znode
 * whose whole state they rely on. A check only reads (checks of one node
 * never collide), and plain creates and deletes of different children do
 * not collide (plan.ts): they take no turn.
 */
function contended(ctx: Ctx, ops: WriteOp[]): string[] {
  // The same key on another etcd is another key: several services (tests,
  // the conformance sides) can share one process and one prefix.
  const cluster = clusterOf(ctx.etcd);
  return ops.flatMap((op) => {
    if (op.op === "check") return [];
    if (op.op !== "create") return [`${cluster} ${ctx.keys.node(op.path)}`];
    return isSequential(op.mode) ? [`${cluster} ${ctx.keys.creations(parentOf(op.path))}`] : [];
  });
}

const clusters = new WeakMap<Etcd, number>();
let clusterCount = 0;

/** A number for the etcd client under `etcd`'s wrappers, the same for every request through it. */
function clusterOf(etcd: Etcd): number {
  const client = underlying(etcd);
  let id = clusters.get(client);
  if (id === undefined) clusters.set(client, (id = ++clusterCount));
  return id;
}

/**
 * Commits `ops` (or the ops a snapshot implies, for closeSession) as one
 * ZooKeeper txn: all or nothing, in one zxid. Writers in this process that
 * would collide take turns (turns.ts).
 */
export function transact(ctx: Ctx, ops: WriteOp[] | ((snap: Snapshot) => WriteOp[]), opts: TransactOptions = {}): Promise<Committed> {
  const session = opts.closeSession ?? ctx.caller.session;
  return inTurn<Committed, Snapshot, bigint>(typeof ops === "function" ? [] : contended(ctx, ops), (turn) => commit(ctx, ops, opts, turn), session);
}

/**
 * The snapshot the previous turn handed on (the state its commit left), when
 * it holds all of `set` and needs no repairs: then this write need not read.
 */
function handedOn(ctx: Ctx, snap: Snapshot | undefined, set: KeySet): Snapshot | undefined {
  if (snap === undefined || !snap.base || snap.expired.size > 0 || set.ranges.length > 0) return undefined;
  const session = ctx.caller.session;
  const holds =
    [...set.paths].every((p) => snap.nodes.has(p) && (!snap.uncounted.has(p) || set.uncounted.has(p))) &&
    [...set.childrenOf].every((p) => snap.children.has(p)) &&
    [...set.sessions, ...(session === undefined ? [] : [session])].every((id) => snap.sessions.has(id)) &&
    [...set.ephemeralsOf].every((id) => snap.ephemerals.has(id));
  return holds ? snap : undefined;
}

async function commit(ctx: Ctx, ops: WriteOp[] | ((snap: Snapshot) => WriteOp[]), opts: TransactOptions, turn: Turn<Snapshot, bigint>): Promise<Committed> {
  const session = opts.closeSession ?? ctx.caller.session;
  const opsOf = typeof ops === "function" ? ops : () => ops;
  const set = normalize(opts.readSet ?? {});
  if (typeof ops !== "function") {
    for (const p of readSetOf(ops)) set.paths.add(p);
    const asked = new Set(opts.readSet?.paths ?? []);
    // Unless the caller asked for them read in full.
    for (const p of uncountedOf(ops)) if (!asked.has(p)) set.uncounted.add(p);
  }
  if (session !== undefined) set.sessions.add(session);
  let snap = handedOn(ctx, turn.received, set) ?? (await readSettled(ctx, set));
  for (let attempt = 0; attempt < ctx.config.maxAttempts; attempt++) {
    // Again after a lost race: the session may have ended meanwhile.
    snap.requireLive(session);
    const list = opsOf(snap);
    // Ops a snapshot implies name their znodes only once it is read: then one more read.
    const unread = [...readSetOf(list)].filter((p) => !set.paths.has(p));
    if (unread.length > 0) {
      for (const p of unread) set.paths.add(p);
      snap = await readSettled(ctx, set);
      continue;
    }
    let decided;
    try {
      decided = plan(snap, list, ctx.caller, ctx.now());
    } catch (e) {
      if (!(e instanceof NeedPaths)) throw e;
      for (const p of e.paths) set.paths.add(p);
      snap = await readSettled(ctx, set);
      continue;
    }
    const compare = guards(ctx, snap, decided, opts, session);
    const success = decided.ok ? writes(ctx, snap, decided.changes, opts) : [];
    // Several ops: the net change can hide the first event of a watch (events.ts).
    const fired = decided.ok && list.length > 1 ? firedBy(decided.results) : [];
    if (fired.length > 0) success.push({ put: { key: ctx.keys.events(), value: encodeEvents(fired) } });
    // A txn that changes nothing (failed ops, a multi of checks) still spends a zxid.
    if (success.length === 0) success.push({ put: { key: ctx.keys.txnMarker(), value: new Uint8Array() } });
    // Someone waits for this turn: read, after the writes in the same txn, the
    // state they leave, and hand it on (a txn's reads see its own writes).
    // The next one's session too, or it would have to read to check it.
    const next = turn.queued() ? turn.next() : undefined;
    let handOn = decided.ok && turn.queued() ? planRead(ctx, next === undefined ? set : { ...set, sessions: new Set([...set.sessions, next]) }) : null;
    if (handOn && success.length + handOn.ops.length > ctx.config.etcdMaxTxnOps) handOn = null;
    if (handOn) success.push(...handOn.ops);
    // After a lost race the failure branch re-reads what this attempt saw and
    // assumed; a later attempt assumes afresh (a sequential name moves with the
    // counter). A re-read too big for one txn is made after the failure instead.
    const reread = { ...set, paths: new Set([...set.paths, ...decided.assumedAbsent]) };
    const failureRead = attempt > 0 ? planRead(ctx, reread) : null;
    const inline = failureRead !== null && failureRead.ops.length <= ctx.config.etcdMaxTxnOps;
    const resp = await ctx.etcd.txn({ compare, success, failure: inline ? failureRead.ops : [] });
    if (!resp.succeeded) {
      snap = inline ? failureRead.parse(resp.revision, resp.responses) : await readSettled(ctx, reread);
      // What the failure branch read may need repairs before it is planned on.
      if (snap.expired.size > 0 || !snap.base) snap = await readSettled(ctx, set);
      await backoff(attempt);
      continue;
    }
    if (handOn) turn.pass(handOn.parse(resp.revision, resp.responses.slice(resp.responses.length - handOn.ops.length)));
    const zxid = resp.revision - snap.off;
    ctx.sawZxid(zxid);
    if (!decided.ok) throw decided.error;
    return { zxid, results: decided.results };
  }
  throw new ZkError("OPERATIONTIMEOUT", `gave up after ${ctx.config.maxAttempts} attempts lost to concurrent writes; retry`);
}

/**
 * After a lost race, wait a random while that grows with the losses: many
 * writers on one parent then take turns instead of colliding every round.
 */
function backoff(attempt: number): Promise<void> {
  const capMs = Math.min(2 ** attempt, 8);
  return new Promise((resolve) => setTimeout(resolve, Math.random() * capMs));
}

function keyOf(ctx: Ctx, path: string, part: Part): string {
  const { keys } = ctx;
  switch (part) {
    case "node":
      return keys.node(path);
    case "creations":
      return keys.creations(path);
    case "deletions":
      return keys.deletions(path);
    case "acl":
      return keys.acl(path);
  }
}

/**
 * The compares a commit needs. A failed plan relies on everything it read;
 * a successful one on what its ops declared (plan.ts), so writers touching
 * different children of one parent do not collide.
 */
function guards(ctx: Ctx, snap: Snapshot, decided: Plan, opts: TransactOptions, session: bigint | undefined): Compare[] {
  const { keys } = ctx;
  const compare: Compare[] = [];
  const absent = (key: string): Compare => ({ key, target: "mod", result: "equal", value: 0n });
  const exact = (key: string): Compare => {
    const kv = snap.observed.get(key);
    return kv ? { key, target: "mod", result: "equal", value: kv.modRevision } : absent(key);
  };
  for (const path of decided.assumedAbsent) compare.push(absent(keys.node(path)));
  if (!decided.ok) {
    // A failure relies on the znodes the ops up to the failing one looked at
    // (and the tree and session keys), not on all a large multi read.
    const relied = reliedKeys(ctx, decided.consulted);
    for (const key of snap.observed.keys()) if (relied(key)) compare.push(exact(key));
    return compare;
  }
  // Every write stores the zxid offset it was decided with.
  compare.push(exact(keys.base()));
  if (session !== undefined) {
    const key = keys.session(session);
    // A close must see every ephemeral (each create rewrites the session key);
    // anyone else needs the session alive.
    compare.push(session === opts.closeSession ? exact(key) : { key, target: "version", result: "greater", value: 0n });
  }
  for (const [path, parts] of decided.deps) {
    for (const [part, dep] of parts) {
      const key = keyOf(ctx, path, part);
      const kv = snap.observed.get(key);
      if (!kv) compare.push(absent(key));
      else if (dep === "exact") compare.push(exact(key));
      else if (dep === "value") compare.push({ key, target: "value", result: "equal", value: kv.value });
      else compare.push({ key, target: "create", result: "equal", value: kv.createRevision });
    }
  }
  return compare;
}

/** Whether an observed key belongs to one of `paths`, or to no znode (the base, sessions). */
function reliedKeys(ctx: Ctx, paths: Set<string>): (key: string) => boolean {
  const { keys } = ctx;
  const exactKeys = new Set<string>([keys.base()]);
  for (const path of paths) for (const part of ["node", "creations", "deletions", "acl"] as const) exactKeys.add(keyOf(ctx, path, part));
  const sessions = keys.allSessions();
  const shards = `${keys.prefix}x`;
  return (key) =>
    exactKeys.has(key) ||
    (key >= sessions.key && key < sessions.rangeEnd) ||
    (key.startsWith(shards) && paths.has(key.slice(shards.length, key.lastIndexOf("\0"))));
}

/**
 * The puts that count this txn's child creations of `path`: the creations key,
 * plus shards 1 … k−1 when it creates k children of a znode that existed
 * before (keys.ts). The creations key then keeps the `adj` it had, so
 * concurrent creators all write what they read and none collides with
 * another. A znode this txn makes (or deletes and makes again) starts its
 * count in `adj`.
 */
function creationWrites(ctx: Ctx, snap: Snapshot, path: string, before: ZNode | null, after: ZNode, lease: bigint): RequestOp[] {
  const { keys } = ctx;
  const shards = keys.creationShards(path);
  const observed = [...snap.observed].filter(([key, kv]) => kv !== null && key >= shards.key && key < shards.rangeEnd).map(([, kv]) => kv!);
  const sameNode = before !== null && after.czxid !== null;
  const bumps = sameNode ? after.seq - before.seq - 1 : 0;
  const version = Number(snap.observed.get(keys.creations(path))?.version ?? 0n);
  const shardCount = observed.reduce((n, kv) => n + Number(kv.version), 0) + Math.max(0, bumps);
  const counter = (adj: number) => encodeCounter({ adj, off: snap.off, pzxid: null });
  // After this txn the creations key is at version + 1, so the count is version + adj + shardCount.
  const out: RequestOp[] = [{ put: { key: keys.creations(path), value: counter(after.seq - version - shardCount), lease } }];
  for (let i = 1; i <= bumps; i++) out.push({ put: { key: keys.creationShard(path, i), value: counter(0), lease } });
  return out;
}

function writes(ctx: Ctx, snap: Snapshot, changes: Map<string, NodeChange>, opts: TransactOptions): RequestOp[] {
  const { keys } = ctx;
  const out: RequestOp[] = [];
  const touchedSessions = new Set<bigint>();
  const empty = new Uint8Array();
  for (const [path, { before, after, parts }] of changes) {
    const ownedBefore = before?.kind === "ephemeral" ? before.owner : null;
    const ownedAfter = after?.kind === "ephemeral" ? after.owner : null;
    if (ownedBefore !== null && ownedBefore !== ownedAfter) {
      out.push({ deleteRange: { key: keys.owned(ownedBefore, path) } });
      // Recreated by another session in one multi: the puts below replace these
      // (etcd refuses a txn that writes one key twice).
      if (ownedAfter === null) for (const key of [keys.ekey(path), keys.elistEntry(path)]) out.push({ deleteRange: { key } });
    }
    if (ownedAfter !== null && ownedAfter !== ownedBefore) {
      out.push(
        { put: { key: keys.owned(ownedAfter, path), value: empty, lease: ownedAfter } },
        { put: { key: keys.ekey(path), value: empty, lease: ownedAfter } },
        // The elist entry outlives the lease: that is how an expiry is noticed.
        { put: { key: keys.elistEntry(path), value: encodeElistEntry(ownedAfter) } },
      );
      touchedSessions.add(ownedAfter);
    }
    const expiringBefore = before?.kind === "container" || before?.kind === "ttl";
    const expiringAfter = after?.kind === "container" || after?.kind === "ttl";
    if (expiringBefore && !expiringAfter) out.push({ deleteRange: { key: keys.expiring(path) } });
    if (expiringAfter && !expiringBefore) out.push({ put: { key: keys.expiring(path), value: empty } });
    if (!after) {
      if (before) {
        for (const key of [keys.node(path), keys.creations(path), keys.deletions(path), keys.acl(path)]) out.push({ deleteRange: { key } });
        // Entries of children that expired since the snapshot: nothing is left to reconcile.
        out.push({ deleteRange: keys.elist(path) }, { deleteRange: keys.creationShards(path) });
      }
      continue;
    }
    const lease = ownedAfter ?? 0n;
    if (parts.has("node")) out.push({ put: { key: keys.node(path), value: encodeNode({ ...after, off: snap.off }), lease } });
    if (parts.has("creations")) out.push(...creationWrites(ctx, snap, path, before, after, lease));
    if (parts.has("deletions")) out.push({ put: { key: keys.deletions(path), value: encodeCounter({ adj: 0, off: snap.off, pzxid: null }), lease } });
    if (parts.has("acl")) out.push({ put: { key: keys.acl(path), value: encodeAcl(after), lease } });
  }
  // A new ephemeral rewrites its session's key, so a concurrent close (guarded
  // by that key) cannot miss it.
  for (const id of touchedSessions) {
    if (id === opts.closeSession) continue;
    out.push({ put: { key: keys.session(id), value: snap.sessionValues.get(id)!, lease: id } });
  }
  if (opts.closeSession !== undefined) out.push({ deleteRange: { key: keys.session(opts.closeSession) } });
  return out;
}
