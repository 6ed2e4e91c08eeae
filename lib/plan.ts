// ZooKeeper's write ops, decided in memory against a snapshot the way
// ZooKeeper's PrepRequestProcessor decides them: each op sees the changes of
// the ops before it, checks run in ZooKeeper's order, and the first failure
// fails the whole multi.
import { checkAcl, fixupAcl, PERMS } from "./acl.js";
import { ZkError, type OpResultCode } from "./errors.js";
import { isEphemeral, isSequential, kindOf, type Caller, type WriteOp, type WriteResult, type ZNode } from "./model.js";
import { isSystemPath, parentOf } from "./path.js";

/** A znode's keys (keys.ts): its node key, creations and deletions counters, ACL. */
export type Part = "node" | "creations" | "deletions" | "acl";
export const PARTS: readonly Part[] = ["node", "creations", "deletions", "acl"];

/** What a plan does to one znode: as it was, as it will be, and which of its keys it writes. */
export interface NodeChange {
  before: ZNode | null;
  after: ZNode | null;
  parts: Set<Part>;
}

/**
 * What a plan relied on in one of a znode's keys, so the commit checks no
 * more than that: that the znode is the same incarnation (`identity`), that
 * the key holds what was read though others may have bumped it (`value`: the
 * counters, which writers bump blindly), or that it is untouched (`exact`).
 */
export type Dependency = "identity" | "value" | "exact";
const STRENGTH: Record<Dependency, number> = { identity: 0, value: 1, exact: 2 };

export type Plan =
  | { ok: true; results: WriteResult[]; changes: Map<string, NodeChange>; deps: Map<string, Map<Part, Dependency>>; assumedAbsent: Set<string> }
  | { ok: false; error: ZkError; assumedAbsent: Set<string>; consulted: Set<string> };

/** The plan needs znodes the snapshot did not load; read them and plan again. */
export class NeedPaths extends Error {
  constructor(readonly paths: string[]) {
    super(`plan needs ${paths.join(", ")}`);
  }
}

/** What a plan is decided against: the znodes a read loaded (null: absent). Snapshot is one. */
export interface Loaded {
  readonly nodes: ReadonlyMap<string, ZNode | null>;
}

/** The loaded znodes with the plan's changes laid over it. */
class Working {
  readonly changes = new Map<string, NodeChange>();
  /** Paths the snapshot did not load, taken as absent: the commit must check that. */
  readonly assumedAbsent = new Set<string>();
  /** Loaded znodes the ops so far looked at: all a failure was decided on. */
  readonly consulted = new Set<string>();

  constructor(private readonly snap: Loaded) {}

  /**
   * A znode as the ops so far left it. `assumeAbsent` is for a sequential
   * name, which cannot be read before it is known: the commit checks it.
   */
  get(path: string, assumeAbsent = false): ZNode | null {
    const change = this.changes.get(path);
    if (change) return change.after;
    if (this.snap.nodes.has(path)) {
      this.consulted.add(path);
      return this.snap.nodes.get(path)!;
    }
    if (!assumeAbsent) throw new NeedPaths([path, parentOf(path)]);
    this.assumedAbsent.add(path);
    return null;
  }

  readonly deps = new Map<string, Map<Part, Dependency>>();

  /** The plan relies on `part` of `path` as `dep` says (the strongest need wins). */
  need(path: string, part: Part, dep: Dependency): void {
    const parts = this.deps.get(path) ?? new Map<Part, Dependency>();
    const had = parts.get(part);
    if (had === undefined || STRENGTH[dep] > STRENGTH[had]) parts.set(part, dep);
    this.deps.set(path, parts);
  }

  set(path: string, after: ZNode | null, ...parts: Part[]): void {
    const change: NodeChange = this.changes.get(path) ?? { before: this.get(path, true), after: null, parts: new Set<Part>() };
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
      // Creating different children of one parent at once must not collide: only
      // a sequential name depends on the exact count of creations.
      w.need(parentPath, "node", "identity");
      w.need(parentPath, "acl", "exact");
      w.need(parentPath, "creations", isSequential(op.mode) ? "exact" : "value");
      w.need(path, "node", "exact");
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
        data: op.data,
        acl,
        numChildren: 0,
      };
      // Both counters exist from the start, so writers can bump them blindly.
      w.set(path, node, ...PARTS);
      w.set(parentPath, childrenChanged(parent, +1), "creations");
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
      // The scheduled run decided on a container or TTL node; the path may hold a
      // session's ephemeral by now. ZooKeeper's deleteContainer refuses that so.
      if (op.op === "deleteContainer" && node.kind === "ephemeral") {
        throw new ZkError("BADVERSION", `${op.path} is an ephemeral node now, not a container or TTL node`, op.path);
      }
      w.need(parentPath, "node", "identity");
      if (op.op === "delete") w.need(parentPath, "acl", "exact");
      w.need(parentPath, "deletions", "value");
      w.need(op.path, "node", "exact");
      w.need(op.path, "creations", "exact"); // still childless
      w.set(op.path, null, ...PARTS);
      w.set(parentPath, childrenChanged(parent, -1), "deletions");
      return { op: op.op, path: op.path };
    }
    case "setData": {
      const node = mustExist(w.get(op.path), op.path);
      checkAcl(node.acl, PERMS.WRITE, caller.ids, op.path);
      checkVersion(op.version, node.version, op.path);
      needWholeStat(w, op.path);
      const after: ZNode = { ...node, data: op.data, version: node.version + 1, mzxid: null, mtime: now };
      w.set(op.path, after, "node");
      return { op: "setData", path: op.path, node: after };
    }
    case "check": {
      const node = mustExist(w.get(op.path), op.path);
      checkAcl(node.acl, PERMS.READ, caller.ids, op.path);
      checkVersion(op.version, node.version, op.path);
      w.need(op.path, "node", "exact");
      w.need(op.path, "acl", "exact");
      return { op: "check", path: op.path };
    }
    case "setACL": {
      const acl = fixupAcl(op.acl, caller.ids, op.path);
      const node = mustExist(w.get(op.path), op.path);
      checkAcl(node.acl, PERMS.ADMIN, caller.ids, op.path);
      if (op.version !== -1 && op.version !== node.aversion) {
        throw new ZkError("BADVERSION", `aversion ${op.version} does not match ${op.path}'s aversion ${node.aversion}`, op.path);
      }
      needWholeStat(w, op.path);
      const after: ZNode = { ...node, acl, aversion: node.aversion + 1 };
      w.set(op.path, after, "acl");
      return { op: "setACL", path: op.path, node: after };
    }
  }
}

/** The op answers with the znode's Stat: every field must still hold at commit. */
function needWholeStat(w: Working, path: string): void {
  for (const part of PARTS) w.need(path, part, "exact");
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
export function plan(snap: Loaded, ops: WriteOp[], caller: Caller, now: number): Plan {
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
      return { ok: false, error: new ZkError(e.code, e.message, e.path, codes), assumedAbsent: w.assumedAbsent, consulted: w.consulted };
    }
  }
  return { ok: true, results, changes: w.changes, deps: w.deps, assumedAbsent: w.assumedAbsent };
}
