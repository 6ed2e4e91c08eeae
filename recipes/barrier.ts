// Barriers. Barrier (kazoo's Barrier, Curator's DistributedBarrier): while the
// node exists, wait() blocks; removing it lets every waiter through.
// DoubleBarrier (Curator's DistributedDoubleBarrier, kazoo's DoubleBarrier):
// enter() blocks until `count` members have entered; leave() blocks until
// every member has left. Members are ephemeral nodes named by a fresh GUID;
// the one who sees the count reached creates `ready`, which the waiters
// watch for. A barrier path serves one round: `ready` is removed by the last
// to leave.
import { NodeExistsError, NoNodeError, type ZkClient } from "../client/index.js";
import { deadline, ensureDir, join, patiently, type WaitOptions } from "./contenders.js";
import { deleteQuietly } from "./hold.js";
import { newGuid } from "./names.js";

export class Barrier {
  constructor(
    private readonly client: ZkClient,
    readonly path: string,
  ) {}

  /** Raises the barrier (creates the node, with missing parents); raising a raised barrier is fine. */
  async raise(): Promise<void> {
    try {
      await this.client.create(this.path, { parents: true });
    } catch (e) {
      if (!(e instanceof NodeExistsError)) throw e;
    }
  }

  /** Lowers it (deletes the node): every waiter goes through. */
  async remove(): Promise<void> {
    await deleteQuietly(this.client, this.path);
  }

  /** Resolves once the barrier is down (at once if it is). */
  async wait(options: WaitOptions = {}): Promise<void> {
    const d = deadline(this.client, options, `barrier ${this.path}`);
    try {
      for (;;) {
        let zxid: bigint;
        try {
          zxid = (await patiently(d.signal, () => this.client.getData(this.path, { signal: d.signal }))).zxid;
        } catch (e) {
          if (e instanceof NoNodeError) return;
          throw e;
        }
        const ev = await this.client.watch(this.path, "data", { zxid, signal: d.signal });
        if (ev.type === "NodeDeleted") return;
      }
    } finally {
      d.done();
    }
  }
}

const READY = "ready";

export class DoubleBarrier {
  /** Our member node's name. */
  readonly name = newGuid();
  private readonly ours: string;
  private readonly readyPath: string;

  constructor(
    private readonly client: ZkClient,
    readonly path: string,
    /** How many members must enter before anyone proceeds. */
    readonly count: number,
    /** Stored in our member node. */
    readonly id: string = "",
  ) {
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`count must be a positive integer, not ${count}`);
    this.ours = join(path, this.name);
    this.readyPath = join(path, READY);
  }

  /**
   * Enters and waits until `count` members have. On timeout or abort our
   * member node is removed again, so that a late count does not include us.
   */
  async enter(options: WaitOptions = {}): Promise<void> {
    const d = deadline(this.client, options, `double barrier ${this.path} (enter)`);
    try {
      await ensureDir(this.client, this.path);
      try {
        await this.client.create(this.ours, { mode: "ephemeral", data: this.id });
      } catch (e) {
        if (!(e instanceof NodeExistsError)) throw e;
      }
      try {
        for (;;) {
          const { children, zxid } = await patiently(d.signal, () => this.client.getChildren(this.path, { signal: d.signal }));
          if (children.includes(READY)) return;
          if (!children.includes(this.name)) throw new NoNodeError("NONODE", `${this.ours} is gone: the session ended`, { path: this.ours });
          if (children.length >= this.count) {
            try {
              await this.client.create(this.readyPath);
            } catch (e) {
              if (!(e instanceof NodeExistsError)) throw e;
            }
            return;
          }
          await this.client.watch(this.path, "children", { zxid, signal: d.signal });
        }
      } catch (e) {
        await deleteQuietly(this.client, this.ours).catch(() => undefined);
        throw e;
      }
    } finally {
      d.done();
    }
  }

  /**
   * Leaves and waits until every member has (Curator's order): the lowest
   * member waits for the highest to go, every other member deletes its node
   * and waits for the lowest, so each departure wakes one waiter.
   */
  async leave(options: WaitOptions = {}): Promise<void> {
    const d = deadline(this.client, options, `double barrier ${this.path} (leave)`);
    let oursThere = true;
    try {
      for (;;) {
        let members: string[];
        let zxid: bigint;
        try {
          const r = await patiently(d.signal, () => this.client.getChildren(this.path, { signal: d.signal }));
          members = r.children.filter((c) => c !== READY).sort();
          zxid = r.zxid;
        } catch (e) {
          if (!(e instanceof NoNodeError)) throw e;
          break;
        }
        if (members.length === 0) break;
        const index = members.indexOf(this.name);
        if (index < 0 && oursThere) throw new NoNodeError("NONODE", `${this.ours} is gone: the session ended`, { path: this.ours });
        if (members.length === 1) {
          if (oursThere) await deleteQuietly(this.client, this.ours);
          break;
        }
        if (index === 0) {
          await this.client.watch(join(this.path, members[members.length - 1]!), "exists", { zxid, signal: d.signal });
        } else {
          if (oursThere) {
            await deleteQuietly(this.client, this.ours);
            oursThere = false;
          }
          await this.client.watch(join(this.path, members[0]!), "exists", { zxid, signal: d.signal });
        }
      }
      await deleteQuietly(this.client, this.readyPath);
    } finally {
      d.done();
    }
  }
}
