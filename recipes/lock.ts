// A fair mutex (Curator's InterProcessMutex, kazoo's Lock): contenders queue
// as ephemeral-sequential nodes under the lock's path and each waits only for
// the node just in front of it. The lowest node holds the lock. Not
// reentrant: a second acquire() by the same code waits behind the first.
import type { ZkClient } from "../client/index.js";
import { createProtected, czxidOf, deadline, ensureDir, predecessor, waitTurn, type Blocker, type WaitOptions } from "./contenders.js";
import { deleteQuietly, Hold, type HoldOptions } from "./hold.js";
import { sortedNodes } from "./names.js";

export type LockOptions = HoldOptions;

const KIND = "lock-";

export class Lock {
  constructor(
    private readonly client: ZkClient,
    /** The lock's directory; its children are the contenders. */
    readonly path: string,
    private readonly options: LockOptions = {},
  ) {}

  /**
   * Waits for the lock. The holding's `signal` aborts if it is lost (session
   * expired, service unreachable past the grace, node deleted); release() it
   * when done. On timeout or abort our node is removed and the wait throws
   * (RecipeTimeoutError, or the signal's reason).
   */
  async acquire(options: WaitOptions = {}): Promise<Hold> {
    return acquireSequential(this.client, this.path, KIND, [KIND], predecessor, options, this.options, `lock ${this.path}`);
  }

  /** Runs `fn` holding the lock, and releases it however `fn` ends. */
  async withLock<T>(fn: (hold: Hold) => Promise<T>, options: WaitOptions = {}): Promise<T> {
    const hold = await this.acquire(options);
    try {
      return await fn(hold);
    } finally {
      await hold.release();
    }
  }

  /** The contenders' node names, holder first (Curator's getParticipantNodes). */
  async contenders(): Promise<string[]> {
    return contendersOf(this.client, this.path, [KIND]);
  }
}

/** The whole protocol for one contender; shared by the lock, both halves of the read-write lock, and the semaphore's gate. */
export async function acquireSequential(
  client: ZkClient,
  dir: string,
  kind: string,
  kinds: readonly string[],
  blocker: Blocker,
  wait: WaitOptions,
  hold: HoldOptions,
  what: string,
): Promise<Hold> {
  const d = deadline(client, wait, what);
  try {
    d.signal.throwIfAborted();
    await ensureDir(client, dir);
    const ours = await createProtected(client, dir, kind, "ephemeral_sequential", d.signal);
    try {
      await waitTurn(client, dir, ours.path, kinds, blocker, d.signal);
    } catch (e) {
      // Leave the queue, or the next contender would wait for us until our session ends.
      await deleteQuietly(client, ours.path).catch(() => undefined);
      throw e;
    }
    return new Hold(client, ours.path, czxidOf(ours), hold);
  } finally {
    d.done();
  }
}

export async function contendersOf(client: ZkClient, dir: string, kinds: readonly string[]): Promise<string[]> {
  try {
    return sortedNodes((await client.getChildren(dir)).children, kinds);
  } catch (e) {
    if ((e as { code?: string }).code === "NONODE") return [];
    throw e;
  }
}
