// Sessions are etcd leases. A session key bound to the lease makes every
// expiry exactly one etcd revision (it goes together with the session's
// ephemerals), which is the closeSession zxid ZooKeeper would spend.
import { ensuringTree } from "./bootstrap.js";
import type { Ctx } from "./context.js";
import { ZkError, sessionNotLive } from "./errors.js";
import type { Session } from "./model.js";
import { offsetOf } from "./records.js";
import { readSettled } from "./settle.js";
import type { Snapshot } from "./snapshot.js";
import { transact } from "./transact.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** ZooKeeper's negotiation: the asked timeout clamped to [min, max]. */
export function negotiateTimeout(ctx: Ctx, askedMs: number): number {
  return Math.min(Math.max(askedMs, ctx.config.minSessionTimeoutMs), ctx.config.maxSessionTimeoutMs);
}

/** A new session and its password: what resumes it later, from any process (resumeSession). */
export interface OpenedSession extends Session {
  password: Uint8Array;
}

/** The password's hash as the session record keeps it: any process can check a password, none can recover it. */
async function passwordHash(password: Uint8Array): Promise<string> {
  const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", Uint8Array.from(password)));
  let bin = "";
  for (const b of hash) bin += String.fromCharCode(b);
  return btoa(bin);
}

export async function openSession(ctx: Ctx, askedTimeoutMs: number): Promise<OpenedSession> {
  if (!Number.isInteger(askedTimeoutMs) || askedTimeoutMs < 1) {
    throw new ZkError("BADARGUMENTS", `timeoutMs must be a positive integer, not ${askedTimeoutMs}`);
  }
  const timeoutMs = negotiateTimeout(ctx, askedTimeoutMs);
  // etcd leases live in whole seconds; rounding up never expires a session early.
  const id = await ctx.etcd.leaseGrant(Math.ceil(timeoutMs / 1000));
  // ZooKeeper's session passwords are 16 random bytes.
  const password = crypto.getRandomValues(new Uint8Array(16));
  const pw = await passwordHash(password);
  const { keys } = ctx;
  // One revision, so one zxid, as ZooKeeper's createSession spends.
  const resp = await ensuringTree(ctx, async () => {
    const r = await ctx.etcd.txn({
      compare: [{ key: keys.base(), target: "version", result: "greater", value: 0n }],
      success: [
        { put: { key: keys.session(id), value: encoder.encode(JSON.stringify({ timeoutMs, pw })), lease: id } },
        { range: { key: keys.base() } },
      ],
    });
    return r.succeeded ? r : null;
  });
  const base = resp.responses[1]!;
  if (!("range" in base)) throw new Error("session open: expected the base record");
  ctx.sawZxid(resp.revision - offsetOf(base.range.kvs[0]!));
  return { id, timeoutMs, password };
}

/** A live session's record (its key's value), or SESSIONEXPIRED. */
function sessionFromRecord(id: bigint, value: Uint8Array | undefined): Session {
  if (!value) throw sessionNotLive(id);
  return { id, timeoutMs: JSON.parse(decoder.decode(value)).timeoutMs };
}

/** Heartbeat: refreshes the lease. Both must hold: the lease and the session key. */
export async function pingSession(ctx: Ctx, id: bigint): Promise<Session> {
  const [alive, snap] = await Promise.all([ctx.etcd.leaseKeepAlive(id), readSettled(ctx, { sessions: [id] })]);
  if (!alive) throw sessionNotLive(id);
  return sessionFromRecord(id, snap.sessionValues.get(id));
}

/**
 * Resumes a session by id and password (ZooKeeper's reconnect): a heartbeat
 * that also checks the password against the session record. SESSIONEXPIRED
 * when the session is not live or the password is wrong, as ZooKeeper
 * answers both.
 */
export async function resumeSession(ctx: Ctx, id: bigint, password: Uint8Array): Promise<Session> {
  const snap = await readSettled(ctx, { sessions: [id] });
  const value = snap.sessionValues.get(id);
  if (!value) throw sessionNotLive(id);
  const record = JSON.parse(decoder.decode(value)) as { timeoutMs: number; pw?: string };
  // Checked before the heartbeat: a wrong password does not keep the session alive.
  if (record.pw === undefined || record.pw !== (await passwordHash(password))) {
    throw new ZkError("SESSIONEXPIRED", `session ${id}: wrong password`);
  }
  if (!(await ctx.etcd.leaseKeepAlive(id))) throw sessionNotLive(id);
  return { id, timeoutMs: record.timeoutMs };
}

/** The ids of every live session (ZooKeeper's session tracker dump). */
export async function liveSessions(ctx: Ctx): Promise<bigint[]> {
  const { keys } = ctx;
  const range = keys.allSessions();
  const snap = await readSettled(ctx, { ranges: [{ ...range, keysOnly: true }] });
  return snap.ranges[0]!.kvs.map((kv) => BigInt(kv.key.slice(range.key.length)));
}

/** The session and its ephemerals (ZooKeeper 3.6 getEphemerals). */
export async function inspectSession(ctx: Ctx, id: bigint): Promise<Session & { ephemerals: string[] }> {
  const snap = await readSettled(ctx, { sessions: [id], ephemeralsOf: [id] });
  return { ...sessionFromRecord(id, snap.sessionValues.get(id)), ephemerals: snap.ephemerals.get(id)!.sort() };
}

/**
 * closeSession: the session's ephemerals go and their parents' stats move in
 * one transaction, then the lease is revoked (deleting nothing, so no revision).
 */
export async function closeSession(ctx: Ctx, id: bigint): Promise<void> {
  const reap = (snap: Snapshot) => snap.ephemerals.get(id)!.map((path) => ({ op: "reapEphemeral" as const, path }));
  await transact(ctx, reap, { closeSession: id, readSet: { ephemeralsOf: [id] } });
  await ctx.etcd.leaseRevoke(id);
}
