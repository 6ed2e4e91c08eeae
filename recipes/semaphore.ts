// A counting semaphore with leases (Curator's InterProcessSemaphoreV2, kazoo's
// Semaphore). A lease is an ephemeral-sequential node under `<path>/leases`;
// at most `maxLeases` exist at once. Contenders pass one at a time through a
// fair lock at `<path>/lock` and, holding it, add their lease and wait until
// at most `maxLeases` leases are there (a children watch on the leases), then
// let the next one through. Holding the gate while waiting makes the order
// fair and keeps the check-then-wait free of races between contenders.
// The limit is stored in `<path>`'s data, so clients configured with
// different limits are refused instead of silently disagreeing (as kazoo).
import { BadVersionError, NodeExistsError, toText, type ZkClient } from "../client/index.js";
import { createProtected, czxidOf, deadline, join, patiently, type WaitOptions } from "./contenders.js";
import { deleteQuietly, Hold, type HoldOptions } from "./hold.js";
import { Lock } from "./lock.js";
import { sortedNodes } from "./names.js";

const LEASE = "lease-";

export class SemaphoreLimitMismatchError extends Error {
  override name = "SemaphoreLimitMismatchError";
}

export class Semaphore {
  private readonly gate: Lock;
  private readonly leases: string;

  constructor(
    private readonly client: ZkClient,
    readonly path: string,
    readonly maxLeases: number,
    private readonly options: HoldOptions = {},
  ) {
    if (!Number.isInteger(maxLeases) || maxLeases < 1) throw new RangeError(`maxLeases must be a positive integer, not ${maxLeases}`);
    this.gate = new Lock(client, join(path, "lock"), options);
    this.leases = join(path, "leases");
  }

  /** Waits for a lease. Its `signal` aborts if it is lost; release() it when done. */
  async acquire(options: WaitOptions = {}): Promise<Hold> {
    const d = deadline(this.client, options, `semaphore ${this.path}`);
    try {
      await this.checkLimit();
      const gate = await this.gate.acquire({ signal: d.signal });
      try {
        await this.client.ensurePath(this.leases);
        const lease = await createProtected(this.client, this.leases, LEASE, "ephemeral_sequential", d.signal);
        try {
          await this.waitForRoom(lease.path, d.signal);
        } catch (e) {
          await deleteQuietly(this.client, lease.path).catch(() => undefined);
          throw e;
        }
        return new Hold(this.client, lease.path, czxidOf(lease), this.options);
      } finally {
        await gate.release().catch(() => undefined);
      }
    } finally {
      d.done();
    }
  }

  /** The lease nodes now held, oldest first. */
  async holders(): Promise<string[]> {
    try {
      return sortedNodes((await this.client.getChildren(this.leases)).children, [LEASE]);
    } catch (e) {
      if ((e as { code?: string }).code === "NONODE") return [];
      throw e;
    }
  }

  private async waitForRoom(ours: string, signal: AbortSignal): Promise<void> {
    const name = ours.slice(ours.lastIndexOf("/") + 1);
    for (;;) {
      const { children, zxid } = await patiently(signal, () => this.client.getChildren(this.leases, { signal }));
      const sorted = sortedNodes(children, [LEASE]);
      const index = sorted.indexOf(name);
      if (index < 0) throw new Error(`${ours} is gone while waiting: the session ended or someone deleted it`);
      // Only the gate's holder adds leases, so ours is the newest: room means at most max in all.
      if (sorted.length <= this.maxLeases) return;
      await this.client.watch(this.leases, "children", { zxid, signal });
    }
  }

  private async checkLimit(): Promise<void> {
    const want = String(this.maxLeases);
    for (;;) {
      try {
        await this.client.create(this.path, { data: want, parents: true });
        return;
      } catch (e) {
        if (!(e instanceof NodeExistsError)) throw e;
      }
      const { data, stat } = await this.client.getData(this.path);
      const stored = toText(data);
      if (stored === want) return;
      if (stored !== "") throw new SemaphoreLimitMismatchError(`${this.path} is a semaphore of ${stored} leases, not ${want}`);
      // An empty node (made by hand, or by ensurePath) takes the limit of the first to set it.
      try {
        await this.client.setData(this.path, want, stat.version);
        return;
      } catch (e) {
        if (!(e instanceof BadVersionError)) throw e;
      }
    }
  }
}
