// ZooKeeper's write ops, decided in memory against a snapshot the way
// ZooKeeper's PrepRequestProcessor decides them: each op sees the changes of
// the ops before it, checks run in ZooKeeper's order, and the first failure
// fails the whole multi.
import { checkAcl, fixupAcl, PERMS } from "./acl.js";
import type { Caller } from "./context.js";
import type { Bytes } from "./etcd/types.js";
import { ZkError, type OpResultCode } from "./errors.js";
import { basename, isSystemPath, parentOf } from "./path.js";
import type { AclEntry, NodeKind } from "./records.js";
import type { Snapshot } from "./snapshot.js";
import type { ZNode } from "./stat.js";

export const CREATE_MODES = [
  "persistent",
  "ephemeral",
  "persistent_sequential",
  "ephemeral_sequential",
  "container",
  "persistent_with_ttl",
  "persistent_sequential_with_ttl",
] as const;
export type CreateMode = (typeof CREATE_MODES)[number];

export function isSequential(mode: CreateMode): boolean {
  return mode.includes("sequential");
}

export function isEphemeral(mode: CreateMode): boolean {
  return mode.startsWith("ephemeral");
}

export function isTtl(mode: CreateMode): boolean {
  return mode.endsWith("_with_ttl");
}

function kindOf(mode: CreateMode): NodeKind {
  if (isEphemeral(mode)) return "ephemeral";
  if (mode === "container") return "container";
  return isTtl(mode) ? "ttl" : "persistent";
}

export type WriteOp =
  | { op: "create"; path: string; data: Bytes; acl: AclEntry[]; mode: CreateMode; ttlMs: number }
  | { op: "delete"; path: string; version: number }
  | { op: "setData"; path: string; data: Bytes; version: number }
  | { op: "check"; path: string; version: number }
  | { op: "setACL"; path: string; acl: AclEntry[]; version: number }
  /** closeSession's removal of one of the session's ephemerals: no ACL check. */
  | { op: "reapEphemeral"; path: string }
  /** The scheduled removal of an empty container or expired TTL node (ZooKeeper's deleteContainer). */
  | { op: "deleteContainer"; path: string };

export type WriteResult =
  | { op: "create"; path: string; node: ZNode }
  | { op: "delete"; path: string }
  | { op: "setData"; path: string; node: ZNode }
  | { op: "check"; path: string }
  | { op: "setACL"; path: string; node: ZNode }
  | { op: "reapEphemeral"; path: string }
  | { op: "deleteContainer"; path: string };

/** Which of a znode's keys (keys.ts) a plan rewrites. */
export type Part = "node" | "meta" | "acl";

export interface Change {
  before: ZNode | null;
  after: ZNode | null;
  parts: Set<Part>;
}

export type Plan =
  | { ok: true; results: WriteResult[]; changes: Map<string, Change>; assumedAbsent: Set<string> }
  | { ok: false; error: ZkError; assumedAbsent: Set<string> };

/** The plan needs znodes the snapshot did not load; read them and plan again. */
export class NeedPaths extends Error {
  constructor(readonly paths: string[]) {
    super(`plan needs ${paths.join(", ")}`);
  }
}

/** The snapshot with the plan's changes laid over it. */
class Working {
  readonly changes = new Map<string, Change>();
  /** Paths the snapshot did not load, taken as absent: the commit must check that. */
  readonly assumedAbsent = new Set<string>();

  constructor(private readonly snap: Snapshot) {}

  /**
   * A znode as the ops so far left it. `assumeAbsent` is for a sequential
   * name, which cannot be read before it is known: the commit checks it.
   */
  get(path: string, assumeAbsent = false): ZNode | null {
    const change = this.changes.get(path);
    if (change) return change.after;
    if (this.snap.nodes.has(path)) return this.snap.nodes.get(path)!;
    if (!assumeAbsent) throw new NeedPaths([path, parentOf(path)]);
    this.assumedAbsent.add(path);
    return null;
  }

  set(path: string, after: ZNode | null, ...parts: Part[]): void {
    const change = this.changes.get(path) ?? { before: this.get(path, true), after: null, parts: new Set<Part>() };
    change.after = after;
    for (const p of parts) change.parts.add(p);
    this.changes.set(path, change);
  }
}

const pad10 = (n: number) => String(n).padStart(10, "0");

function checkVersion(expected: number, actual: number, path: string): void {
  if (expected !== -1 && expected !== actual) {
    throw new ZkError("BADVERSION", `version ${expected} does not match ${path}'s version ${actual}`, path);
  }
}

function mustExist(node: ZNode | null, path: string): ZNode {
  if (!node) throw new ZkError("NONODE", `${path} does not exist`, path);
  return node;
}

/** A ZooKeeper op applied to the working tree; returns its result. */
function apply(w: Working, op: WriteOp, caller: Caller, now: number): WriteResult {
  switch (op.op) {
    case "create": {
      const acl = fixupAcl(op.acl, caller.ids, op.path);
      const parentPath = parentOf(op.path);
      const parent = w.get(parentPath);
      if (!parent) throw new ZkError("NONODE", `parent ${parentPath} of ${op.path} does not exist`, op.path);
      checkAcl(parent.acl, PERMS.CREATE, caller.ids, parentPath);
      const path = isSequential(op.mode) ? op.path + pad10(parent.seq) : op.path;
      if (w.get(path, isSequential(op.mode))) throw new ZkError("NODEEXISTS", `${path} already exists`, path);
      if (parent.kind === "ephemeral") {
        throw new ZkError("NOCHILDRENFOREPHEMERALS", `${parentPath} is ephemeral and cannot have children`, path);
      }
      const node: ZNode = {
        path,
        kind: kindOf(op.mode),
        owner: isEphemeral(op.mode) ? caller.session! : 0n,
        ttlMs: op.ttlMs,
        czxid: null,
        mzxid: null,
        pzxid: null,
        ctime: now,
        mtime: now,
        version: 0,
        aversion: 0,
        seq: 0,
        elist: new Map(),
        data: op.data,
        acl,
        numChildren: 0,
      };
      w.set(path, node, "node", "meta", "acl");
      const elist = new Map(parent.elist);
      if (node.kind === "ephemeral") elist.set(basename(path), { session: node.owner, created: null });
      w.set(parentPath, { ...childrenChanged(parent, +1), elist }, "meta");
      return { op: "create", path, node };
    }
    case "delete":
    case "reapEphemeral":
    case "deleteContainer": {
      if (op.op === "delete" && isSystemPath(op.path)) {
        throw new ZkError("BADARGUMENTS", `${op.path} belongs to ZooKeeper and cannot be deleted`, op.path);
      }
      const parentPath = parentOf(op.path);
      const parent = mustExist(w.get(parentPath), parentPath);
      if (op.op === "delete") checkAcl(parent.acl, PERMS.DELETE, caller.ids, parentPath);
      const node = mustExist(w.get(op.path), op.path);
      if (op.op === "delete") checkVersion(op.version, node.version, op.path);
      if (node.numChildren > 0) throw new ZkError("NOTEMPTY", `${op.path} has children`, op.path);
      w.set(op.path, null, "node", "meta", "acl");
      const elist = new Map(parent.elist);
      elist.delete(basename(op.path));
      w.set(parentPath, { ...childrenChanged(parent, -1), elist }, "meta");
      return { op: op.op, path: op.path };
    }
    case "setData": {
      const node = mustExist(w.get(op.path), op.path);
      checkAcl(node.acl, PERMS.WRITE, caller.ids, op.path);
      checkVersion(op.version, node.version, op.path);
      const after: ZNode = { ...node, data: op.data, version: node.version + 1, mzxid: null, mtime: now };
      w.set(op.path, after, "node");
      return { op: "setData", path: op.path, node: after };
    }
    case "check": {
      const node = mustExist(w.get(op.path), op.path);
      checkAcl(node.acl, PERMS.READ, caller.ids, op.path);
      checkVersion(op.version, node.version, op.path);
      return { op: "check", path: op.path };
    }
    case "setACL": {
      const acl = fixupAcl(op.acl, caller.ids, op.path);
      const node = mustExist(w.get(op.path), op.path);
      checkAcl(node.acl, PERMS.ADMIN, caller.ids, op.path);
      if (op.version !== -1 && op.version !== node.aversion) {
        throw new ZkError("BADVERSION", `aversion ${op.version} does not match ${op.path}'s aversion ${node.aversion}`, op.path);
      }
      const after: ZNode = { ...node, acl, aversion: node.aversion + 1 };
      w.set(op.path, after, "acl");
      return { op: "setACL", path: op.path, node: after };
    }
  }
}

function childrenChanged(parent: ZNode, delta: 1 | -1): ZNode {
  return {
    ...parent,
    pzxid: null,
    seq: delta > 0 ? parent.seq + 1 : parent.seq,
    numChildren: parent.numChildren + delta,
  };
}

/**
 * Decides `ops` against `snap`: every change, or the first failure with each
 * op's code. Throws NeedPaths when an op reaches a znode the snapshot lacks.
 */
export function plan(snap: Snapshot, ops: WriteOp[], caller: Caller, now: number): Plan {
  const w = new Working(snap);
  const results: WriteResult[] = [];
  for (let i = 0; i < ops.length; i++) {
    try {
      results.push(apply(w, ops[i]!, caller, now));
    } catch (e) {
      if (!(e instanceof ZkError)) throw e;
      const codes: { code: OpResultCode }[] = ops.map((_, j) => ({
        code: j < i ? "OK" : j === i ? (e.code as OpResultCode) : "RUNTIMEINCONSISTENCY",
      }));
      return { ok: false, error: new ZkError(e.code, e.message, e.path, codes), assumedAbsent: w.assumedAbsent };
    }
  }
  return { ok: true, results, changes: w.changes, assumedAbsent: w.assumedAbsent };
}
