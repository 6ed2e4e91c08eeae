// ZooKeeper 3.8's client protocol: opcodes, the fixed xids, create flags,
// watcher codes, and the request records this server reads.
import type { CreateMode } from "../lib/model.js";
import { MarshallingError, type JuteAcl, type Reader } from "./codec.js";

export const OP = {
  notification: 0,
  create: 1,
  delete: 2,
  exists: 3,
  getData: 4,
  setData: 5,
  getACL: 6,
  setACL: 7,
  getChildren: 8,
  sync: 9,
  ping: 11,
  getChildren2: 12,
  check: 13,
  multi: 14,
  create2: 15,
  reconfig: 16,
  checkWatches: 17,
  removeWatches: 18,
  createContainer: 19,
  deleteContainer: 20,
  createTTL: 21,
  multiRead: 22,
  auth: 100,
  setWatches: 101,
  sasl: 102,
  getEphemerals: 103,
  getAllChildrenNumber: 104,
  setWatches2: 105,
  addWatch: 106,
  whoAmI: 107,
  error: -1,
  createSession: -10,
  closeSession: -11,
} as const;

/** The xids ZooKeeper reserves: notifications, pings, auth and setWatches packets. */
export const XID = { notification: -1, ping: -2, auth: -4, setWatches: -8 } as const;

/** Watcher.Event.EventType. */
export const EVENT = { NodeCreated: 1, NodeDeleted: 2, NodeDataChanged: 3, NodeChildrenChanged: 4 } as const;
/** Watcher.Event.KeeperState.SyncConnected. */
export const SYNC_CONNECTED = 3;

/** CreateMode.fromFlag. */
const MODES: Record<number, CreateMode> = {
  0: "persistent",
  1: "ephemeral",
  2: "persistent_sequential",
  3: "ephemeral_sequential",
  4: "container",
  5: "persistent_with_ttl",
  6: "persistent_sequential_with_ttl",
};

export function modeOfFlags(flags: number): CreateMode | null {
  return MODES[flags] ?? null;
}

/** Watcher.WatcherType of checkWatches and removeWatches. */
export const WATCHER_TYPE = { children: 1, data: 2, any: 3 } as const;

/** AddWatchMode. */
export const ADD_WATCH_MODE = { persistent: 0, persistentRecursive: 1 } as const;

export interface ConnectRequest {
  protocolVersion: number;
  lastZxidSeen: bigint;
  timeoutMs: number;
  sessionId: bigint;
  passwd: Buffer;
  readOnly: boolean;
}

export function readConnectRequest(r: Reader): ConnectRequest {
  const req = {
    protocolVersion: r.int(),
    lastZxidSeen: r.long(),
    timeoutMs: r.int(),
    sessionId: r.long(),
    passwd: Buffer.from(r.buffer() ?? Buffer.alloc(0)),
    // Clients before 3.4 stop here.
    readOnly: r.left() > 0 ? r.bool() : false,
  };
  return req;
}

export interface CreateRequest {
  path: string;
  data: Uint8Array;
  acl: JuteAcl[];
  flags: number;
  /** createTTL's; -1 otherwise. */
  ttl: bigint;
}

export function readCreate(r: Reader, withTtl: boolean): CreateRequest {
  return { path: str(r), data: r.buffer() ?? new Uint8Array(0), acl: r.acl(), flags: r.int(), ttl: withTtl ? r.long() : -1n };
}

/** A string field that may not be null. */
export function str(r: Reader): string {
  const s = r.string();
  if (s === null) throw new MarshallingError("a path may not be null");
  return s;
}

/** One op of a multi or multiRead, as its header (type, done, err) and record. */
export type MultiEntry =
  | { type: typeof OP.create | typeof OP.create2 | typeof OP.createContainer | typeof OP.createTTL; create: CreateRequest }
  | { type: typeof OP.delete | typeof OP.check; path: string; version: number }
  | { type: typeof OP.setData; path: string; data: Uint8Array; version: number }
  | { type: typeof OP.getData | typeof OP.getChildren; path: string };

/** MultiOperationRecord: headers and records until a header says done. */
export function readMulti(r: Reader): MultiEntry[] {
  const out: MultiEntry[] = [];
  for (;;) {
    const type = r.int();
    const done = r.bool();
    r.int(); // err: always -1 in a request
    if (done) return out;
    switch (type) {
      case OP.create:
      case OP.create2:
      case OP.createContainer:
      case OP.createTTL:
        out.push({ type, create: readCreate(r, type === OP.createTTL) });
        break;
      case OP.delete:
      case OP.check:
        out.push({ type, path: str(r), version: r.int() });
        break;
      case OP.setData:
        out.push({ type, path: str(r), data: r.buffer() ?? new Uint8Array(0), version: r.int() });
        break;
      case OP.getData:
      case OP.getChildren:
        out.push({ type, path: str(r) });
        r.bool(); // the watch flag: multiRead sets no watches
        break;
      default:
        throw new MarshallingError(`a multi may not hold op type ${type}`);
    }
  }
}
