// zk-etcd/client: a ZooKeeper client for this service's HTTP API, on fetch and
// web streams only, so the same code runs on Node 20 and in a Worker.
export { connect, ZkClient, type ClientOptions, type CreateCallOptions, type DeleteOptions, type MultiReadResult, type ReadOptions } from "./client.js";
export * from "./errors.js";
export { fromText, toText, type Data } from "./bytes.js";
export { Transaction, type CreateOptions, type OpResult, type ReadOp, type WriteOp } from "./multi.js";
export { DEFAULT_RETRY, backoffMs, type RetryPolicy } from "./retry.js";
export type { ConnectionState, SessionInfo, StateEvent, StateListener } from "./session.js";
export { Acls, digestId, type Acl, type Created, type CreateMode, type NodeAcl, type NodeChildren, type NodeData, type Stat, type WatchEvent, type WatchEventType, type WatchKind } from "./types.js";
export { PersistentWatch, type OneShotOptions, type PersistentOptions } from "./watch.js";
export type { FetchLike } from "./http.js";
