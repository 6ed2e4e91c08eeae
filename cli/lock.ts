// `zk lock`: ZooKeeper's fair lock recipe, the least it needs. Each contender
// creates a sequential ephemeral node under the lock path; the lowest sequence
// holds the lock, and every other contender watches only the node just before
// its own (no herd when the holder leaves).
import { NoNodeError, type ZkClient } from "../client/index.js";

const SEQUENCE = /(\d{10})$/;

export interface Held {
  /** The contender's node. */
  node: string;
  release(): Promise<void>;
}

/** Waits until this client holds the lock at `path`, or the signal aborts. */
export async function acquire(zk: ZkClient, path: string, signal?: AbortSignal): Promise<Held> {
  // Protected: a create whose answer is lost is found again, never made twice.
  const { path: node } = await zk.create(`${path}/lock-`, { mode: "ephemeral_sequential", parents: true, protected: true });
  const name = node.slice(node.lastIndexOf("/") + 1);
  const release = async () => {
    await zk.delete(node).catch((e) => {
      if (!(e instanceof NoNodeError)) throw e;
    });
  };
  try {
    for (;;) {
      signal?.throwIfAborted();
      const { children } = await zk.getChildren(path);
      const queue = children.filter((c) => SEQUENCE.test(c)).sort((a, b) => seq(a) - seq(b));
      const at = queue.indexOf(name);
      if (at < 0) throw new NoNodeError("NONODE", `the lock node ${node} is gone (session expired?)`, { path: node });
      if (at === 0) return { node, release };
      // exists + watch on the predecessor: if it is already gone, look again at once.
      const { stat, watch } = await zk.watchExists(`${path}/${queue[at - 1]}`, { signal });
      if (stat) await watch;
    }
  } catch (e) {
    await release().catch(() => undefined);
    throw e;
  }
}

function seq(name: string): number {
  return Number(SEQUENCE.exec(name)![1]);
}
