// Leader election (Curator's LeaderLatch, kazoo's Election): each participant
// adds an ephemeral-sequential node whose data is its id; the lowest node is
// the leader, and every other participant watches only the node in front of
// it. Leadership is a Hold: its signal aborts, and the election dispatches
// "lost", when the session expires, the client stays suspended past the grace
// (see hold.ts: before the server could expire the session and elect someone
// else), or the node is deleted. A participant that lost leadership is out of
// the election; start() again (after client.start() if the session expired)
// to rejoin at the back.
import { fromText, toText, type ZkClient } from "../client/index.js";
import { createProtected, czxidOf, deadline, endsWithSession, ensureDir, join, predecessor, waitTurn, type WaitOptions } from "./contenders.js";
import { LostError } from "./errors.js";
import { deleteQuietly, Hold, type HoldOptions } from "./hold.js";
import { sortedNodes } from "./names.js";

const KIND = "n_";

export interface ElectionOptions extends HoldOptions {
  /** This participant's id, stored in its node (Curator's participant id). Default: a random UUID. */
  id?: string;
}

/**
 * "elected" carries the leadership; "lost" the LostError that ended it;
 * "left" the reason a participant that never led dropped out (its session
 * ended while it waited).
 */
export class ElectionEvent extends Event {
  constructor(
    type: "elected" | "lost" | "left",
    readonly leadership?: Hold,
    readonly reason?: LostError,
  ) {
    super(type);
  }
}

export class LeaderElection extends EventTarget {
  readonly id: string;
  private node?: string;
  private current?: Hold;
  private running?: AbortController;
  private readonly waiters = new Set<{ resolve(h: Hold): void; reject(e: unknown): void }>();

  constructor(
    private readonly client: ZkClient,
    readonly path: string,
    private readonly options: ElectionOptions = {},
  ) {
    super();
    this.id = options.id ?? crypto.randomUUID();
  }

  get isLeader(): boolean {
    return this.current !== undefined && !this.current.isLost;
  }

  /** The leadership, while this participant leads. */
  get leadership(): Hold | undefined {
    return this.isLeader ? this.current : undefined;
  }

  /**
   * Joins the election: resolves once our node is in place; leadership comes
   * later, as an "elected" event and through awaitLeadership().
   */
  async start(): Promise<void> {
    if (this.running) throw new Error(`already taking part in the election at ${this.path}`);
    const ctl = (this.running = new AbortController());
    try {
      await ensureDir(this.client, this.path);
      const ours = await createProtected(this.client, this.path, KIND, "ephemeral_sequential", ctl.signal, fromText(this.id));
      if (ctl.signal.aborted) {
        // close() came while the node was being made, so it had none to delete.
        await deleteQuietly(this.client, ours.path);
        throw new Error(`left the election at ${this.path} while joining it`);
      }
      this.node = ours.path;
      void this.campaign(ours.path, czxidOf(ours), ctl);
    } catch (e) {
      // Unless close() and a new start() came meanwhile.
      if (this.running === ctl) this.running = undefined;
      throw e;
    }
  }

  /** Resolves with the leadership once we lead (at once if we do). */
  async awaitLeadership(options: WaitOptions = {}): Promise<Hold> {
    if (this.isLeader) return this.current!;
    if (!this.running) throw new Error(`not taking part in the election at ${this.path}: start() first`);
    // No session watch here: the campaign ends with the session and rejects the waiters with the LostError.
    const d = deadline(undefined, options, `leadership of ${this.path}`);
    try {
      return await new Promise<Hold>((resolve, reject) => {
        const waiter = { resolve, reject };
        const onAbort = () => {
          this.waiters.delete(waiter);
          reject(d.signal.reason);
        };
        if (d.signal.aborted) return onAbort();
        d.signal.addEventListener("abort", onAbort, { once: true });
        this.waiters.add(waiter);
      });
    } finally {
      d.done();
    }
  }

  /** Leaves the election; a leader gives the leadership up (no "lost": it was given, not lost). */
  async close(): Promise<void> {
    const ctl = this.running;
    this.running = undefined;
    ctl?.abort();
    for (const w of this.waiters) w.reject(new Error(`left the election at ${this.path}`));
    this.waiters.clear();
    const hold = this.current;
    this.current = undefined;
    if (hold) await hold.release();
    else if (this.node) await deleteQuietly(this.client, this.node);
    this.node = undefined;
  }

  /** The leader's id, or undefined when nobody takes part. */
  async leader(): Promise<string | undefined> {
    const ids = await this.participants();
    return ids[0];
  }

  /** Every participant's id, leader first (nodes gone between the list and the read are skipped). */
  async participants(): Promise<string[]> {
    let children: string[];
    try {
      children = (await this.client.getChildren(this.path)).children;
    } catch (e) {
      if ((e as { code?: string }).code === "NONODE") return [];
      throw e;
    }
    const ids: string[] = [];
    for (const name of sortedNodes(children, [KIND])) {
      try {
        ids.push(toText((await this.client.getData(join(this.path, name))).data));
      } catch (e) {
        if ((e as { code?: string }).code !== "NONODE") throw e;
      }
    }
    return ids;
  }

  private async campaign(node: string, czxid: bigint, ctl: AbortController): Promise<void> {
    const off = endsWithSession(this.client, ctl);
    try {
      await waitTurn(this.client, this.path, node, [KIND], predecessor, ctl.signal);
    } catch (e) {
      // close() ended it: nothing to tell.
      if (this.running !== ctl) return;
      // Out of the election without ever leading (the session ended while we waited).
      this.running = undefined;
      this.node = undefined;
      const reason = toLost(e, node);
      for (const w of this.waiters) w.reject(reason);
      this.waiters.clear();
      this.dispatchEvent(new ElectionEvent("left", undefined, reason));
      return;
    } finally {
      off();
    }
    if (this.running !== ctl) return;
    const hold = new Hold(this.client, node, czxid, this.options);
    this.current = hold;
    const onLost = () => {
      if (this.current !== hold) return;
      this.current = undefined;
      this.running = undefined;
      this.node = undefined;
      this.dispatchEvent(new ElectionEvent("lost", undefined, hold.signal.reason as LostError));
    };
    if (hold.isLost) return onLost();
    hold.signal.addEventListener("abort", onLost, { once: true });
    for (const w of [...this.waiters]) w.resolve(hold);
    this.waiters.clear();
    this.dispatchEvent(new ElectionEvent("elected", hold));
  }
}

function toLost(e: unknown, node: string): LostError {
  if (e instanceof LostError) return e;
  const code = (e as { code?: string }).code;
  return new LostError(code === "SESSIONEXPIRED" ? "expired" : code === "CLOSED" ? "closed" : "deleted", node, { cause: e });
}
