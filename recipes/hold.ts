// What a recipe hands out once something is held (a lock, a lease, the
// leadership): the node that stands for it and an AbortSignal that aborts when
// it is lost. ZooKeeper tells a client only that its session expired or that
// it is disconnected; whether the holding survives is the recipe's call, made
// here the same way for every recipe:
//
// - expired or closed: lost at once (the ephemeral node is gone or going);
// - suspended (the service unreachable): lost unless the client reconnects
//   within the grace. The server keeps a session at least its timeout after
//   the last ping it answered; the client pings a third of the timeout after
//   the last answer and calls itself suspended when that ping fails, which it
//   knows at the latest when the ping times out (after a third, at least 1 s).
//   The default grace is half of what is left of the timeout after that, so
//   the holder gives up before the server can expire the session and let
//   someone else in, with as much again to spare for a slow timer: two
//   holders never both believe they hold;
// - the node deleted (someone deleted it, or the session ended and took it):
//   lost, seen through a data watch on the node itself.
import { SessionExpiredError, WatchExpiredError, NoNodeError, ConnectionLossError, type StateEvent, type ZkClient } from "../client/index.js";
import { LostError, type LossCause } from "./errors.js";

export interface HoldOptions {
  /**
   * How long the client may be suspended before the holding counts as lost.
   * Default: `defaultGraceMs(timeout)` of the session's negotiated timeout
   * (see above); 0 gives up at the first failed ping, as Curator's standard
   * policy does.
   */
  suspendedGraceMs?: number;
}

export class Hold {
  /** Aborts with a LostError when the holding is lost; never after release(). */
  readonly signal: AbortSignal;
  private readonly lost = new AbortController();
  private readonly stop = new AbortController();
  private readonly offs: (() => void)[] = [];
  private graceTimer?: ReturnType<typeof setTimeout>;
  private released?: Promise<void>;

  constructor(
    private readonly client: ZkClient,
    /** The node that stands for the holding. */
    readonly path: string,
    /** Its czxid: a fencing token, rising with each new holding. */
    readonly czxid: bigint,
    options: HoldOptions,
  ) {
    this.signal = this.lost.signal;
    const timeoutMs = client.sessionInfo?.timeoutMs ?? 0;
    const graceMs = options.suspendedGraceMs ?? defaultGraceMs(timeoutMs);
    const onState = (s: StateEvent) => {
      if (s === "expired" || s === "closed") this.lose(s);
      else if (s === "suspended") {
        this.graceTimer ??= setTimeout(() => this.lose("suspended"), graceMs);
      } else if (s === "connected") this.clearGrace();
    };
    this.offs.push(client.on("state", onState));
    const now = client.state;
    if (now !== "connected") onState(now === "idle" ? "closed" : now);
    void this.watchNode();
  }

  /** True once lost (and not released first). */
  get isLost(): boolean {
    return this.lost.signal.aborted;
  }

  /**
   * Gives the holding up: stops watching, then deletes the node (a node that
   * is already gone is fine). Idempotent.
   */
  release(): Promise<void> {
    this.released ??= (async () => {
      this.dispose();
      await deleteQuietly(this.client, this.path);
    })();
    return this.released;
  }

  private lose(why: LossCause, cause?: unknown): void {
    if (this.stop.signal.aborted) return;
    this.dispose();
    // Given up while the session may live on: take the node away too (once the service is
    // reachable again), so the next contender is not kept waiting by a holder that has quit.
    if (why === "suspended") void deleteQuietly(this.client, this.path).catch(() => undefined);
    this.lost.abort(new LostError(why, this.path, { cause }));
  }

  private dispose(): void {
    this.clearGrace();
    for (const off of this.offs.splice(0)) off();
    this.stop.abort();
  }

  private clearGrace(): void {
    if (this.graceTimer !== undefined) clearTimeout(this.graceTimer);
    this.graceTimer = undefined;
  }

  /** A data watch on our own node, renewed after each change, until it is deleted or we stop. */
  private async watchNode(): Promise<void> {
    let zxid = this.czxid;
    const signal = this.stop.signal;
    while (!signal.aborted) {
      try {
        const ev = await this.client.watch(this.path, "data", { zxid, signal });
        if (ev.type === "NodeDeleted") return this.lose("deleted");
        zxid = ev.zxid;
      } catch (e) {
        if (signal.aborted) return;
        if (e instanceof SessionExpiredError) return this.lose("expired", e);
        if (e instanceof NoNodeError) return this.lose("deleted", e);
        if (e instanceof WatchExpiredError) {
          // The history since `zxid` is compacted: look at the node as it is now.
          try {
            const now = await this.client.getData(this.path, { signal });
            zxid = now.zxid;
            continue;
          } catch (r) {
            if (signal.aborted) return;
            if (r instanceof NoNodeError) return this.lose("deleted", r);
            if (r instanceof SessionExpiredError) return this.lose("expired", r);
            if (r instanceof ConnectionLossError) continue;
            return this.lose("deleted", r);
          }
        }
        // The client closed, or something the watch cannot go on from: the state listener
        // decides for connection problems; anything else means we can no longer vouch for it.
        if (this.client.state === "closed") return this.lose("closed", e);
        return this.lose("deleted", e);
      }
    }
  }
}

/** Half of the session timeout left once a failed ping is certain to have been noticed (see the top). */
export function defaultGraceMs(timeoutMs: number): number {
  const third = Math.ceil(timeoutMs / 3);
  const noticedBy = third + Math.max(1000, third);
  return Math.max(0, Math.floor((timeoutMs - noticedBy) / 2));
}

/** Deletes a node, treating "already gone" (or a session already gone with it) as done. */
export async function deleteQuietly(client: ZkClient, path: string): Promise<void> {
  try {
    await client.delete(path);
  } catch (e) {
    if (e instanceof NoNodeError) return;
    // An ephemeral dies with its session; a client that is closed or expired cannot delete anyway.
    if (e instanceof SessionExpiredError || client.state === "expired" || client.state === "closed") return;
    throw e;
  }
}
