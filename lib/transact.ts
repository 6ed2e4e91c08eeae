// Runs ZooKeeper write ops as one guarded etcd transaction: read a snapshot,
// plan in memory, commit guarded by the mod revision of every key the plan was
// decided on. A lost race re-reads in the same round trip (the failure branch)
// and plans again. A failed op still commits: ZooKeeper's error txn spends a zxid.
import type { Ctx } from "./context.js";
import type { Compare, RequestOp } from "./etcd/types.js";
import { ZkError } from "./errors.js";
import { parentOf } from "./path.js";
import { NeedPaths, plan, isSequential, type Change, type WriteOp, type WriteResult } from "./plan.js";
import { encodeAcl, encodeChildMeta, encodeNode } from "./records.js";
import { normalize, planRead, read, type ReadSet, type Snapshot } from "./snapshot.js";

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

function checkSession(snap: Snapshot, session: bigint | undefined): void {
  if (session !== undefined && !snap.sessions.get(session)) {
    throw new ZkError("SESSIONEXPIRED", `session ${session} is not live (expired, closed or never opened)`);
  }
}

/**
 * Commits `ops` (or the ops a snapshot implies, for closeSession) as one
 * ZooKeeper txn: all or nothing, in one zxid.
 */
export async function transact(ctx: Ctx, ops: WriteOp[] | ((snap: Snapshot) => WriteOp[]), opts: TransactOptions = {}): Promise<Committed> {
  const session = opts.closeSession ?? ctx.caller.session;
  const opsOf = typeof ops === "function" ? ops : () => ops;
  const set = normalize(opts.readSet ?? {});
  if (typeof ops !== "function") for (const p of readSetOf(ops)) set.paths.add(p);
  // Ops a snapshot implies name their znodes only once it is read: then one more read.
  if (session !== undefined) set.sessions.add(session);
  let snap = await read(ctx, set);
  for (let attempt = 0; attempt < ctx.config.maxAttempts; attempt++) {
    checkSession(snap, session);
    const list = opsOf(snap);
    const unread = [...readSetOf(list)].filter((p) => !set.paths.has(p));
    if (unread.length > 0) {
      for (const p of unread) set.paths.add(p);
      snap = await read(ctx, set);
      continue;
    }
    let decided;
    try {
      decided = plan(snap, list, ctx.caller, ctx.now());
    } catch (e) {
      if (!(e instanceof NeedPaths)) throw e;
      for (const p of e.paths) set.paths.add(p);
      snap = await read(ctx, set);
      continue;
    }
    const compare = guards(ctx, snap, decided.assumedAbsent);
    const success = decided.ok ? writes(ctx, snap, decided.changes, opts) : [];
    // A txn that changes nothing (failed ops, a multi of checks) still spends a zxid.
    if (success.length === 0) success.push({ put: { key: ctx.keys.txnMarker(), value: new Uint8Array() } });
    // The failure branch re-reads what this attempt saw and assumed; a later
    // attempt assumes afresh (a sequential name moves with the counter).
    const { ops: failure, parse } = planRead(ctx, { ...set, paths: new Set([...set.paths, ...decided.assumedAbsent]) });
    const resp = await ctx.etcd.txn({ compare, success, failure });
    if (!resp.succeeded) {
      snap = parse(resp.revision, resp.responses);
      if (snap.expired.size > 0) snap = await read(ctx, set); // reconciles first
      await backoff(attempt);
      continue;
    }
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

function guards(ctx: Ctx, snap: Snapshot, assumedAbsent: Set<string>): Compare[] {
  const compare: Compare[] = [];
  for (const [key, rev] of snap.modRevisions) compare.push({ key, target: "mod", result: "equal", value: rev });
  for (const path of assumedAbsent) compare.push({ key: ctx.keys.node(path), target: "mod", result: "equal", value: 0n });
  return compare;
}

function writes(ctx: Ctx, snap: Snapshot, changes: Map<string, Change>, opts: TransactOptions): RequestOp[] {
  const { keys } = ctx;
  const out: RequestOp[] = [];
  const touchedSessions = new Set<bigint>();
  for (const [path, { before, after, parts }] of changes) {
    const ownedBefore = before?.kind === "ephemeral" ? before.owner : null;
    const ownedAfter = after?.kind === "ephemeral" ? after.owner : null;
    if (ownedBefore !== null && ownedBefore !== ownedAfter) {
      out.push({ deleteRange: { key: keys.owned(ownedBefore, path) } }, { deleteRange: { key: keys.ekey(path) } });
    }
    const hadElist = (before?.elist.size ?? 0) > 0;
    const hasElist = (after?.elist.size ?? 0) > 0;
    if (hadElist && !hasElist) out.push({ deleteRange: { key: keys.withEphemerals(path) } });
    if (hasElist && !hadElist) out.push({ put: { key: keys.withEphemerals(path), value: new Uint8Array() } });
    const expiringBefore = before?.kind === "container" || before?.kind === "ttl";
    const expiringAfter = after?.kind === "container" || after?.kind === "ttl";
    if (expiringBefore && !expiringAfter) out.push({ deleteRange: { key: keys.expiring(path) } });
    if (expiringAfter && !expiringBefore) out.push({ put: { key: keys.expiring(path), value: new Uint8Array() } });
    if (!after) {
      if (before) for (const key of [keys.node(path), keys.childMeta(path), keys.acl(path)]) out.push({ deleteRange: { key } });
      continue;
    }
    const lease = ownedAfter ?? 0n;
    if (parts.has("node")) {
      const record = { ...after, off: snap.off };
      out.push({ put: { key: keys.node(path), value: encodeNode(record), lease } });
    }
    if (parts.has("meta")) {
      const record = { pzxid: after.pzxid, seq: after.seq, off: snap.off, elist: after.elist };
      out.push({ put: { key: keys.childMeta(path), value: encodeChildMeta(record), lease } });
    }
    if (parts.has("acl")) out.push({ put: { key: keys.acl(path), value: encodeAcl(after), lease } });
    if (ownedAfter !== null && ownedAfter !== ownedBefore) {
      out.push({ put: { key: keys.owned(ownedAfter, path), value: new Uint8Array(), lease } }, { put: { key: keys.ekey(path), value: new Uint8Array(), lease } });
      touchedSessions.add(ownedAfter);
    }
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
