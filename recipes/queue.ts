// A distributed FIFO queue (ZooKeeper's queue recipe, kazoo's Queue, Curator's
// SimpleDistributedQueue). put() adds a persistent-sequential item node;
// take() reads the items, lowest sequence first, and claims one by deleting
// it: of several consumers racing for one item exactly one delete succeeds,
// so no item is delivered twice.
//
// A claim is a multi: delete the item (at the version whose data we read) and
// create `claim-<item>` holding this consumer's GUID. When the multi's answer
// is lost, the claim node says who won: ours means the item is ours; absent
// with the item still there means nobody took it; anything else, someone else
// did. (A plain delete could not tell "I deleted it" from "another consumer
// did".) The claim node is removed once the item is delivered.
//
// put() uses a protected name, so a put whose answer was lost is found again
// instead of being added twice.
import { BadVersionError, ConnectionLossError, NodeExistsError, NoNodeError, toText, type ZkClient } from "../client/index.js";
import { createProtected, deadline, ensureDir, join, patiently, type WaitOptions } from "./contenders.js";
import { deleteQuietly } from "./hold.js";
import { newGuid, sortedNodes } from "./names.js";

const ITEM = "item-";
const CLAIM = "claim-";

export interface QueueItem {
  /** The item's node, now deleted. */
  path: string;
  data: Uint8Array;
  /** The zxid of the claim: deliveries are totally ordered by it. */
  zxid: bigint;
}

export class Queue {
  /** Identifies this consumer's claims. */
  private readonly consumer = newGuid();

  constructor(
    private readonly client: ZkClient,
    readonly path: string,
  ) {}

  /** Adds an item at the back; resolves with its node's path. */
  async put(data: Uint8Array | string, options: { signal?: AbortSignal } = {}): Promise<string> {
    const signal = options.signal ?? new AbortController().signal;
    await ensureDir(this.client, this.path);
    return (await createProtected(this.client, this.path, ITEM, "persistent_sequential", signal, data)).path;
  }

  /** Items waiting. */
  async size(): Promise<number> {
    return (await this.items()).names.length;
  }

  /** Takes the item at the front, waiting for one if the queue is empty. */
  async take(options: WaitOptions = {}): Promise<QueueItem> {
    const d = deadline(this.client, options, `queue ${this.path}`);
    try {
      await ensureDir(this.client, this.path);
      for (;;) {
        const { names, zxid } = await patiently(d.signal, () => this.items(d.signal));
        for (const name of names) {
          d.signal.throwIfAborted();
          const item = await this.claim(name);
          if (item) return item;
        }
        // Empty, or every item went to someone else: wait for the children to change.
        await this.client.watch(this.path, "children", { zxid, signal: d.signal });
      }
    } finally {
      d.done();
    }
  }

  /** Takes the front item if there is one, without waiting. */
  async poll(): Promise<QueueItem | undefined> {
    for (const name of (await this.items()).names) {
      const item = await this.claim(name);
      if (item) return item;
    }
    return undefined;
  }

  private async items(signal?: AbortSignal): Promise<{ names: string[]; zxid: bigint }> {
    try {
      const { children, zxid } = await this.client.getChildren(this.path, { signal });
      return { names: sortedNodes(children, [ITEM]), zxid };
    } catch (e) {
      if (e instanceof NoNodeError) return { names: [], zxid: this.client.lastZxid };
      throw e;
    }
  }

  /** The item if this consumer claimed it; undefined if it went to another. */
  private async claim(name: string): Promise<QueueItem | undefined> {
    const path = join(this.path, name);
    const claim = join(this.path, `${CLAIM}${name}`);
    let data: Uint8Array;
    let version: number;
    try {
      ({ data, stat: { version } } = await this.client.getData(path));
    } catch (e) {
      if (e instanceof NoNodeError) return undefined;
      throw e;
    }
    try {
      const results = await this.client.transaction().delete(path, version).create(claim, { data: this.consumer }).commit();
      const zxid = results[1]!.op === "create" ? results[1]!.stat.czxid : this.client.lastZxid;
      await deleteQuietly(this.client, claim).catch(() => undefined);
      return { path, data, zxid };
    } catch (e) {
      if (e instanceof NoNodeError || e instanceof BadVersionError || e instanceof NodeExistsError) return undefined;
      if (!(e instanceof ConnectionLossError)) throw e;
      return this.settle(path, claim, data, e);
    }
  }

  /** After a claim whose answer was lost: who has the item? */
  private async settle(path: string, claim: string, data: Uint8Array, lost: ConnectionLossError): Promise<QueueItem | undefined> {
    for (let attempt = 0; ; attempt++) {
      try {
        const c = await this.client.getData(claim);
        if (toText(c.data) !== this.consumer) return undefined;
        await deleteQuietly(this.client, claim).catch(() => undefined);
        return { path, data, zxid: c.stat.czxid };
      } catch (e) {
        if (e instanceof NoNodeError) {
          // No claim of ours. If the item is still there, nobody took it: the next round tries again.
          return undefined;
        }
        if (!(e instanceof ConnectionLossError) || attempt >= 5) throw lost;
      }
    }
  }
}
