// The session: opened once, kept alive by pings at a third of its timeout (as
// ZooKeeper's client pings), and the connection states a caller hears about.
//
//   idle ──open──▶ connected ⇄ suspended   (no answer, or 503/504)
//                      │            │
//                      └──410──▶ expired   (the service says the session is gone)
//   any ──close()──▶ closed
import { ConnectionLossError, OperationTimeoutError, SessionExpiredError } from "./errors.js";
import type { Http } from "./http.js";
import { backoffMs, DEFAULT_RETRY, type RetryPolicy } from "./retry.js";

export type ConnectionState = "idle" | "connected" | "suspended" | "expired" | "closed";
/** The states a listener is told about. */
export type StateEvent = Exclude<ConnectionState, "idle">;
export type StateListener = (state: StateEvent) => void;

export interface SessionInfo {
  id: bigint;
  /** The timeout the service negotiated. */
  timeoutMs: number;
}

export class SessionKeeper {
  private current?: SessionInfo;
  private stateNow: ConnectionState = "idle";
  private readonly listeners = new Map<StateEvent | "state", Set<StateListener>>();
  private timer?: ReturnType<typeof setTimeout>;
  private failures = 0;
  private pinging?: Promise<void>;

  constructor(
    private readonly http: Http,
    private readonly retry: RetryPolicy = DEFAULT_RETRY,
  ) {}

  get state(): ConnectionState {
    return this.stateNow;
  }

  get info(): SessionInfo | undefined {
    return this.current;
  }

  /**
   * The ZK-Session header for requests made in the session. Also once it has
   * expired: every request then fails with SESSIONEXPIRED, as ZooKeeper's do
   * on an expired handle, until a new session is opened.
   */
  header(): Record<string, string> {
    return this.current && this.stateNow !== "closed" ? { "zk-session": this.current.id.toString() } : {};
  }

  on(event: StateEvent | "state", listener: StateListener): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener);
    return () => set!.delete(listener);
  }

  /** Resolves at the next transition to `state` (at once if already there). */
  when(state: StateEvent): Promise<void> {
    if (this.stateNow === state) return Promise.resolve();
    return new Promise((resolve) => {
      const off = this.on(state, () => {
        off();
        resolve();
      });
    });
  }

  /** Sets the state and tells the listeners, once per change. */
  transition(next: ConnectionState): void {
    if (next === this.stateNow || this.stateNow === "closed") return;
    // Once expired, only close() (closed) or a new open (connected) moves on.
    if (this.stateNow === "expired" && next === "suspended") return;
    this.stateNow = next;
    if (next === "idle") return;
    for (const key of [next, "state"] as const) {
      for (const l of [...(this.listeners.get(key) ?? [])]) {
        try {
          l(next);
        } catch {
          // A listener's failure is its own business; the session goes on.
        }
      }
    }
  }

  /** Opens a new session; its pings start at once. */
  async open(requestedTimeoutMs: number, send: (timeoutMs: number) => Promise<SessionInfo>): Promise<SessionInfo> {
    this.stop();
    const info = await send(requestedTimeoutMs);
    this.current = info;
    this.failures = 0;
    this.transition("connected");
    this.schedule(info.timeoutMs / 3);
    return info;
  }

  unreachable(): void {
    if (this.stateNow === "connected") this.transition("suspended");
  }

  expired(): void {
    if (this.stateNow === "connected" || this.stateNow === "suspended") {
      this.stop();
      this.transition("expired");
    }
  }

  /** Stops pinging; the session itself is left alone. */
  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Waits for a ping in flight, so that close() does not race it. */
  async settled(): Promise<void> {
    await this.pinging?.catch(() => undefined);
  }

  closed(): void {
    this.stop();
    this.transition("closed");
  }

  private schedule(ms: number): void {
    this.stop();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.pinging = this.ping().finally(() => (this.pinging = undefined));
    }, Math.max(1, ms));
  }

  private async ping(): Promise<void> {
    const info = this.current;
    if (!info || (this.stateNow !== "connected" && this.stateNow !== "suspended")) return;
    const third = info.timeoutMs / 3;
    try {
      await this.http.send({
        method: "POST",
        path: `/v1/sessions/${info.id}/ping`,
        // A ping that takes longer than a third of the timeout is as good as lost.
        timeoutMs: Math.max(1000, Math.ceil(third)),
      });
      if (this.current !== info) return;
      this.failures = 0;
      this.transition("connected");
      this.schedule(third);
    } catch (e) {
      if (this.current !== info || (this.stateNow as ConnectionState) === "closed") return;
      if (e instanceof SessionExpiredError) {
        this.expired();
        return;
      }
      if (e instanceof ConnectionLossError || e instanceof OperationTimeoutError) {
        this.unreachable();
        // Sooner than a third while suspended, so that the way back is noticed quickly.
        this.schedule(Math.min(third, Math.max(50, backoffMs(this.retry, this.failures++))));
        return;
      }
      // Anything else (401 after a credentials change, a 500) did not keep the
      // session alive either: suspended, so that a holder's grace runs.
      this.unreachable();
      this.schedule(third);
    }
  }
}
