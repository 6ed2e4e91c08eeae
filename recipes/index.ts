// zk-etcd/recipes: ZooKeeper's coordination recipes, built only on the public
// API of zk-etcd/client (as kazoo's recipes sit on its client).
export { Barrier, DoubleBarrier } from "./barrier.js";
export { DistributedCounter, type CounterChange } from "./counter.js";
export { LeaderElection, ElectionEvent, type ElectionOptions } from "./election.js";
export { LostError, RecipeTimeoutError, type LossCause } from "./errors.js";
export { Hold, type HoldOptions } from "./hold.js";
export { Lock, type LockOptions } from "./lock.js";
export { Queue, type QueueItem } from "./queue.js";
export { ReadWriteLock } from "./rwlock.js";
export { Semaphore, SemaphoreLimitMismatchError } from "./semaphore.js";
export type { WaitOptions } from "./contenders.js";
