// The engine under the lock, the read-write lock, the semaphore's gate and the
// election: each contender adds a protected ephemeral-sequential node under a
// directory, and waits until nothing that blocks it is left in front of it,
// watching only the one node it waits for (never the whole directory, which
// would wake every contender at each change: the herd effect).
import { ClientClosedError, ConnectionLossError, NoNodeError, SessionExpiredError, type Stat, type ZkClient } from "../client/index.js";
import { RecipeTimeoutError } from "./errors.js";
import { newGuid, ownNode, protectedPrefix, sortedNodes } from "./names.js";

export interface WaitOptions {
  /** Give up after this long (a RecipeTimeoutError), removing our node. */
  timeoutMs?: number;
  /** Give up when this aborts (its reason is thrown), removing our node. */
  signal?: AbortSignal;
}

/** Whom a contender waits for: the name of one node in front of it that blocks it, or undefined when its turn has come. */
export type Blocker = (sorted: readonly string[], ours: number) => string | undefined;

export interface Entered {
  /** The full path of our node. */
  path: string;
  /**
   * Its Stat; null only for a persistent node found by its GUID after a lost
   * answer and gone by the time it was looked at (a queue item already taken).
   */
  stat: Stat | null;
}

/** The czxid of an ephemeral contender node (whose Stat is always known). */
export function czxidOf(entered: Entered): bigint {
  if (!entered.stat) throw new NoNodeError("NONODE", `${entered.path} is gone`, { path: entered.path });
  return entered.stat.czxid;
}

export const join = (dir: string, name: string) => (dir === "/" ? `/${name}` : `${dir}/${name}`);

/**
 * One signal for a wait: the caller's signal, the timeout, and the end of the
 * client's session (expired or closed), so that no wait outlives the session
 * its nodes belong to (without a client, the caller sees to that). `done()`
 * clears the timer and the listeners.
 */
export function deadline(client: ZkClient | undefined, options: WaitOptions, what: string): { signal: AbortSignal; done(): void } {
  const ctl = new AbortController();
  const outer = options.signal;
  const onAbort = () => ctl.abort(outer!.reason);
  if (outer?.aborted) ctl.abort(outer.reason);
  else outer?.addEventListener("abort", onAbort, { once: true });
  const timer =
    options.timeoutMs === undefined
      ? undefined
      : setTimeout(() => ctl.abort(new RecipeTimeoutError(`${what}: not done within ${options.timeoutMs} ms`)), options.timeoutMs);
  const off = client ? endsWithSession(client, ctl) : () => undefined;
  return {
    signal: ctl.signal,
    done() {
      if (timer !== undefined) clearTimeout(timer);
      outer?.removeEventListener("abort", onAbort);
      off();
    },
  };
}

/** Aborts `ctl` when the client's session expires or the client closes; returns the unsubscribe. */
export function endsWithSession(client: ZkClient, ctl: AbortController): () => void {
  return client.on("state", (s) => {
    if (s === "expired") ctl.abort(new SessionExpiredError("SESSIONEXPIRED", "the session expired while waiting"));
    else if (s === "closed") ctl.abort(new ClientClosedError("CLOSED", "the client was closed while waiting"));
  });
}

/** Creates `dir` and its parents if missing (persistent, as kazoo's ensure_path). */
export async function ensureDir(client: ZkClient, dir: string): Promise<void> {
  await client.ensurePath(dir);
}

/**
 * Creates a protected sequential node `dir/_c_<guid>-<kind><seq>`. When the
 * answer is lost, the children are searched for the GUID: found, it is ours;
 * not found, no node of ours exists and the create is sent again. So a
 * contender never has two nodes in the queue, which would deadlock it
 * against itself.
 */
export async function createProtected(
  client: ZkClient,
  dir: string,
  kind: string,
  mode: "ephemeral_sequential" | "persistent_sequential",
  signal: AbortSignal,
  data?: Uint8Array | string,
): Promise<Entered> {
  const prefix = protectedPrefix(newGuid());
  for (let attempt = 0; ; attempt++) {
    signal.throwIfAborted();
    try {
      const created = await client.create(join(dir, `${prefix}${kind}`), { mode, data });
      return { path: created.path, stat: created.stat };
    } catch (e) {
      if (e instanceof NoNodeError && attempt < 3) {
        // The directory vanished under us (deleted by hand, or a container reaped): make it again.
        await ensureDir(client, dir);
        continue;
      }
      if (!(e instanceof ConnectionLossError) || attempt >= 5) throw e;
      const found = await findOwn(client, dir, prefix, mode, signal);
      if (found) return found;
    }
  }
}

/** Our node by its protected prefix, or undefined; retried while the service is unreachable. */
async function findOwn(client: ZkClient, dir: string, prefix: string, mode: string, signal: AbortSignal): Promise<Entered | undefined> {
  for (let attempt = 0; ; attempt++) {
    signal.throwIfAborted();
    try {
      const { children } = await client.getChildren(dir, { signal });
      const name = ownNode(children, prefix);
      if (!name) return undefined;
      const path = join(dir, name);
      const stat = await client.exists(path, { signal });
      if (stat) return { path, stat };
      // Created, and gone again by the exists: a queue item already taken, or an ephemeral whose session ended.
      if (mode.startsWith("persistent")) return { path, stat: null };
      throw new NoNodeError("NONODE", `${path} was created and is already gone: the session ended`, { path });
    } catch (e) {
      if (!(e instanceof ConnectionLossError) || attempt >= 5) throw e;
    }
  }
}

/**
 * Waits until `blocker` finds nothing in front of our node. Each round reads
 * the children, and if something blocks, waits for that one node to change
 * (exists watch from the read's zxid, so a deletion between the read and the
 * watch is not missed), then reads again.
 */
export async function waitTurn(client: ZkClient, dir: string, ours: string, kinds: readonly string[], blocker: Blocker, signal: AbortSignal): Promise<void> {
  const name = ours.slice(ours.lastIndexOf("/") + 1);
  for (;;) {
    signal.throwIfAborted();
    const { children, zxid } = await patiently(signal, () => client.getChildren(dir, { signal }));
    const sorted = sortedNodes(children, kinds);
    const index = sorted.indexOf(name);
    if (index < 0) {
      throw new NoNodeError("NONODE", `${ours} is gone while waiting: the session ended or someone deleted it`, { path: ours });
    }
    const waitFor = blocker(sorted, index);
    if (waitFor === undefined) return;
    await waitGone(client, join(dir, waitFor), zxid, signal);
  }
}

/**
 * Resolves when `path` has changed since `zxid` (deleted, usually), or was
 * already gone then. An exists watch, so a node that never existed at
 * `zxid` is not an error.
 */
export async function waitGone(client: ZkClient, path: string, zxid: bigint, signal: AbortSignal): Promise<void> {
  await client.watch(path, "exists", { zxid, signal });
}

/**
 * A read inside a wait, retried for as long as the service is unreachable (as
 * kazoo's lock retries without limit): the wait ends when it is given up,
 * the client is closed, or the session turns out to have expired.
 */
export async function patiently<T>(signal: AbortSignal, read: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await read();
    } catch (e) {
      if (!(e instanceof ConnectionLossError) || signal.aborted) throw e;
      await pause(Math.random() * Math.min(2000, 100 * 2 ** Math.min(attempt, 5)), signal);
    }
  }
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** The usual blocker: the node just in front (a fair mutex). */
export const predecessor: Blocker = (sorted, ours) => (ours === 0 ? undefined : sorted[ours - 1]);
