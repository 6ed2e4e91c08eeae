// ZooKeeper's znode operations. Reads take one etcd round trip (or a share of
// one, etcd/coalesce.ts); writes a read and a guarded commit. Every one checks
// first that the caller's session, if it names one, is live (settle.ts).
import { checkAcl, granted, PERMS } from "./acl.js";
import type { Ctx } from "./context.js";
import { ZkError, type ErrorCode, type OpResultCode } from "./errors.js";
import { isEphemeral, isSequential, isTtl, MAX_TTL_MS, type AclEntry, type ReadOp, type WriteOp, type WriteResult, type ZNode } from "./model.js";
import { validatePath } from "./path.js";
import { readSettled } from "./settle.js";
import type { Snapshot } from "./snapshot.js";
import { transact } from "./transact.js";

function existing(snap: Snapshot, path: string): ZNode {
  const node = snap.node(path);
  if (!node) throw new ZkError("NONODE", `${path} does not exist`, path);
  return node;
}

export async function getData(ctx: Ctx, path: string): Promise<ZNode> {
  validatePath(path);
  const node = existing(await readSettled(ctx, { paths: [path] }), path);
  checkAcl(node.acl, PERMS.READ, ctx.caller.ids, path);
  return node;
}

/** exists: no ACL check, as in ZooKeeper. */
export async function exists(ctx: Ctx, path: string): Promise<ZNode> {
  validatePath(path);
  return existing(await readSettled(ctx, { paths: [path] }), path);
}

export async function getChildren(ctx: Ctx, path: string): Promise<{ node: ZNode; children: string[] }> {
  validatePath(path);
  const snap = await readSettled(ctx, { paths: [path], childrenOf: [path] });
  const node = existing(snap, path);
  checkAcl(node.acl, PERMS.READ, ctx.caller.ids, path);
  return { node, children: snap.children.get(path)! };
}

/**
 * getACL needs READ or ADMIN (ZooKeeper 3.8); without ADMIN the digest
 * hashes are hidden, as ZooKeeper hides them.
 */
export async function getAcl(ctx: Ctx, path: string): Promise<{ node: ZNode; acl: AclEntry[] }> {
  validatePath(path);
  const node = existing(await readSettled(ctx, { paths: [path] }), path);
  checkAcl(node.acl, PERMS.READ | PERMS.ADMIN, ctx.caller.ids, path);
  const admin = granted(node.acl, PERMS.ADMIN, ctx.caller.ids);
  const acl = admin ? node.acl : node.acl.map((e) => (e.scheme === "digest" ? { ...e, id: `${e.id.split(":")[0]}:x` } : e));
  return { node, acl };
}

/**
 * getAllChildrenNumber (ZooKeeper 3.6): how many znodes are below `path`, at
 * any depth; needs READ. Counted level by level, LEVELS to a read, until a
 * level is empty (a znode's parent always exists); a tree deeper than one
 * read counts over several reads.
 */
export async function countDescendants(ctx: Ctx, path: string): Promise<number> {
  validatePath(path);
  const LEVELS = 16;
  let total = 0;
  for (let from = 1; ; from += LEVELS) {
    const ranges = Array.from({ length: LEVELS }, (_, i) => ({ ...ctx.keys.descendants(path, from + i), countOnly: true }));
    const snap = await readSettled(ctx, { paths: from === 1 ? [path] : [], ranges });
    if (from === 1) checkAcl(existing(snap, path).acl, PERMS.READ, ctx.caller.ids, path);
    for (const r of snap.ranges) {
      if (r.count === 0n) return total;
      total += Number(r.count);
    }
  }
}

/** sync: a linearizable read; ZooKeeper answers it for a missing path too. */
export async function sync(ctx: Ctx, path: string): Promise<void> {
  validatePath(path);
  await checkCaller(ctx);
}

/**
 * A linearizable read of nothing but the tree's state: the last zxid, and
 * SESSIONEXPIRED when the caller names a session that is not live.
 */
export async function checkCaller(ctx: Ctx): Promise<bigint> {
  return (await readSettled(ctx, {})).zxid;
}

export type ReadResult =
  | { op: "getData"; path: string; node: ZNode }
  | { op: "getChildren"; path: string; node: ZNode; children: string[] }
  | { op: ReadOp["op"]; path: string; error: { code: ErrorCode; message: string } };

/** multiRead (ZooKeeper 3.6): every op answered independently, from one snapshot. */
export async function multiRead(ctx: Ctx, ops: ReadOp[]): Promise<ReadResult[]> {
  for (const op of ops) validatePath(op.path);
  if (ops.length === 0) return [];
  const paths = ops.map((op) => op.path);
  const childrenOf = ops.filter((op) => op.op === "getChildren").map((op) => op.path);
  const snap = await readSettled(ctx, { paths, childrenOf });
  return ops.map((op): ReadResult => {
    try {
      const node = existing(snap, op.path);
      checkAcl(node.acl, PERMS.READ, ctx.caller.ids, op.path);
      return op.op === "getData" ? { op: op.op, path: op.path, node } : { op: op.op, path: op.path, node, children: snap.children.get(op.path)! };
    } catch (e) {
      if (!(e instanceof ZkError)) throw e;
      return { op: op.op, path: op.path, error: { code: e.code, message: e.message } };
    }
  });
}

/**
 * What ZooKeeper's client library refuses before sending (so no zxid is
 * spent): bad paths, empty ACLs, impossible mode combinations, oversized data.
 * In a multi the op at fault gets the code and the others RUNTIMEINCONSISTENCY.
 */
export function validateWriteOps(ctx: Ctx, ops: WriteOp[], multi: boolean): void {
  const refused = ops.map((op) => {
    try {
      validateWriteOp(ctx, op, multi);
      return null;
    } catch (e) {
      if (!(e instanceof ZkError)) throw e;
      return e;
    }
  });
  const first = refused.findIndex((e) => e !== null);
  if (first >= 0) {
    // Every op at fault gets its code, so a caller sees all there is to fix.
    const e = refused[first]!;
    const results = refused.map((r) => ({ code: r ? (r.code as OpResultCode) : ("RUNTIMEINCONSISTENCY" as const) }));
    throw new ZkError(e.code, `op ${first}: ${e.message}`, e.path, results);
  }
  const total = ops.reduce((n, op) => n + (op.op === "create" || op.op === "setData" ? op.data.length : 0), 0);
  if (total > ctx.config.maxDataBytes) {
    throw new ZkError("TOOLARGE", `the multi's data total ${total} bytes; the limit is ${ctx.config.maxDataBytes}`);
  }
}

function validateWriteOp(ctx: Ctx, op: WriteOp, multi: boolean): void {
  validatePath(op.path, op.op === "create" && isSequential(op.mode));
  if (op.op === "create" || op.op === "setData") checkDataSize(ctx, op.data, op.path);
  // ZooKeeper's client refuses an empty ACL for create and setACL, but not
  // inside a multi: there the server's INVALIDACL spends a zxid.
  if ((op.op === "create" || op.op === "setACL") && !multi) {
    if (op.acl.length === 0) throw new ZkError("INVALIDACL", `the ACL for ${op.path} is empty; give at least one entry`, op.path);
  }
  if (op.op !== "create") return;
  if (isEphemeral(op.mode) && ctx.caller.session === undefined) {
    throw new ZkError("BADARGUMENTS", `mode ${op.mode} needs a session to own the node: open one and name it in the request`, op.path);
  }
  if (isTtl(op.mode)) {
    if (!(op.ttlMs >= 1 && op.ttlMs <= MAX_TTL_MS)) {
      throw new ZkError("BADARGUMENTS", `mode ${op.mode} needs ttlMs between 1 and ${MAX_TTL_MS}`, op.path);
    }
  } else if (op.ttlMs !== 0) {
    throw new ZkError("BADARGUMENTS", `ttlMs applies only to the *_with_ttl modes, not ${op.mode}`, op.path);
  }
}

function checkDataSize(ctx: Ctx, data: Uint8Array, path: string): void {
  const size = data.length;
  if (size > ctx.config.maxDataBytes) {
    throw new ZkError("TOOLARGE", `data is ${size} bytes; the limit is ${ctx.config.maxDataBytes}`, path);
  }
}

/** One op alone, or several as a multi (which differs in what the client refuses). */
export async function write(ctx: Ctx, ops: WriteOp[], multi = false): Promise<{ zxid: bigint; results: WriteResult[] }> {
  validateWriteOps(ctx, ops, multi);
  return transact(ctx, ops);
}
