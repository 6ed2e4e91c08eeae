// multi (a transaction: all or nothing, one zxid) with a builder, as Curator's
// transaction() and kazoo's transaction(); and multiRead's ops.
import { toBase64, toBytes, type Data } from "./bytes.js";
import { statFromWire, type Acl, type CreateMode, type Stat, type WireStat } from "./types.js";

export type WriteOp =
  | { op: "create"; path: string; data?: Data; mode?: CreateMode; acl?: Acl[]; ttlMs?: number }
  | { op: "setData"; path: string; data?: Data; version?: number }
  | { op: "check"; path: string; version?: number }
  | { op: "delete"; path: string; version?: number };

export type OpResult =
  | { op: "create"; path: string; stat: Stat }
  | { op: "setData"; path: string; stat: Stat }
  | { op: "delete"; path: string }
  | { op: "check"; path: string };

export interface CreateOptions {
  data?: Data;
  mode?: CreateMode;
  acl?: Acl[];
  ttlMs?: number;
}

/** Collects ops; commit() sends them as one multi. */
export class Transaction {
  readonly ops: WriteOp[] = [];

  constructor(private readonly run: (ops: WriteOp[]) => Promise<OpResult[]>) {}

  create(path: string, options: CreateOptions = {}): this {
    this.ops.push({ op: "create", path, ...options });
    return this;
  }

  setData(path: string, data: Data, version = -1): this {
    this.ops.push({ op: "setData", path, data, version });
    return this;
  }

  check(path: string, version: number): this {
    this.ops.push({ op: "check", path, version });
    return this;
  }

  delete(path: string, version = -1): this {
    this.ops.push({ op: "delete", path, version });
    return this;
  }

  /** Applies every op or none. A failure throws the first failing op's ZkError, with each op's code in `results`. */
  commit(): Promise<OpResult[]> {
    return this.run(this.ops);
  }
}

export function opToWire(op: WriteOp): Record<string, unknown> {
  switch (op.op) {
    case "create":
      return { op: "create", path: op.path, data: toBase64(toBytes(op.data)), mode: op.mode, acl: op.acl, ttlMs: op.ttlMs };
    case "setData":
      return { op: "setData", path: op.path, data: toBase64(toBytes(op.data)), version: op.version ?? -1 };
    case "check":
      return { op: "check", path: op.path, version: op.version ?? -1 };
    case "delete":
      return { op: "delete", path: op.path, version: op.version ?? -1 };
  }
}

export function resultFromWire(r: { op: string; path: string; stat?: WireStat }): OpResult {
  if (r.op === "create" || r.op === "setData") return { op: r.op, path: r.path, stat: statFromWire(r.stat!) };
  return { op: r.op as "delete" | "check", path: r.path };
}

export type ReadOp = { op: "getData"; path: string } | { op: "getChildren"; path: string };
