// Sessions are etcd leases. A session key bound to the lease makes every
// expiry exactly one etcd revision (it goes together with the session's
// ephemerals), which is the closeSession zxid ZooKeeper would spend.
import type { Ctx } from "./context.js";
import { ZkError, sessionNotLive } from "./errors.js";
import { offsetOf } from "./records.js";
import { read, type Snapshot } from "./snapshot.js";
import { transact } from "./transact.js";

export interface Session {
  id: bigint;
  timeoutMs: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** ZooKeeper's negotiation: the asked timeout clamped to [min, max]. */
export function negotiateTimeout(ctx: Ctx, askedMs: number): number {
  return Math.min(Math.max(askedMs, ctx.config.minSessionTimeoutMs), ctx.config.maxSessionTimeoutMs);
}

export async function openSession(ctx: Ctx, askedTimeoutMs: number): Promise<Session> {
  if (!Number.isInteger(askedTimeoutMs) || askedTimeoutMs < 1) {
    throw new ZkError("BADARGUMENTS", `timeoutMs must be a positive integer, not ${askedTimeoutMs}`);
  }
  const timeoutMs = negotiateTimeout(ctx, askedTimeoutMs);
  // etcd leases live in whole seconds; rounding up never expires a session early.
  const id = await ctx.etcd.leaseGrant(Math.ceil(timeoutMs / 1000));
  const { keys } = ctx;
  for (;;) {
    const resp = await ctx.etcd.txn({
      compare: [{ key: keys.base(), target: "version", result: "greater", value: 0n }],
      success: [
        { put: { key: keys.session(id), value: encoder.encode(JSON.stringify({ timeoutMs })), lease: id } },
        { range: { key: keys.base() } },
      ],
    });
    if (!resp.succeeded) {
      await read(ctx, {}); // bootstraps a fresh store
      continue;
    }
    const base = resp.responses[1]!;
    if (!("range" in base)) throw new Error("session open: expected the base record");
    ctx.sawZxid(resp.revision - offsetOf(base.range.kvs[0]!));
    return { id, timeoutMs };
  }
}

function sessionOf(id: bigint, value: Uint8Array | undefined): Session {
  if (!value) throw sessionNotLive(id);
  return { id, timeoutMs: JSON.parse(decoder.decode(value)).timeoutMs };
}

/** Heartbeat: refreshes the lease. Both must hold: the lease and the session key. */
export async function pingSession(ctx: Ctx, id: bigint): Promise<Session> {
  const [alive, snap] = await Promise.all([ctx.etcd.leaseKeepAlive(id), read(ctx, { sessions: [id] })]);
  if (!alive) throw sessionNotLive(id);
  return sessionOf(id, snap.sessionValues.get(id));
}

/** The session and its ephemerals (ZooKeeper 3.6 getEphemerals). */
export async function inspectSession(ctx: Ctx, id: bigint): Promise<Session & { ephemerals: string[] }> {
  const snap = await read(ctx, { sessions: [id], ephemeralsOf: [id] });
  return { ...sessionOf(id, snap.sessionValues.get(id)), ephemerals: snap.ephemerals.get(id)!.sort() };
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
