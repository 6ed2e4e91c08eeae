// Watches over HTTP. Nothing is registered on the server: a watch is named by
// the zxid it starts after, so the client resumes from the last zxid it has
// seen after a 204, the end of a stream, or a lost connection, and no event is
// lost or told twice.
import { ConnectionLossError, OperationTimeoutError, WatchExpiredError, zkError, ZkError } from "./errors.js";
import { encodePath, type Http } from "./http.js";
import { abortReason, backoffMs, sleep, type RetryPolicy } from "./retry.js";
import { eventFromWire, type WatchEvent, type WatchEventType, type WatchKind } from "./types.js";

export interface WatchContext {
  http: Http;
  retry: RetryPolicy;
  /** The ZK-Session header, if a session is open. */
  sessionHeader(): Record<string, string>;
  /** Aborted when the client closes. */
  closing: AbortSignal;
  /**
   * Told of each failure to reach the service (connection states). Only a
   * ping brings a suspended session back: it is what keeps the session alive.
   */
  unreachable(): void;
  expired(e: ZkError): void;
}

export interface OneShotOptions {
  /** The zxid of the read that set the watch; absent means from now. */
  zxid?: bigint;
  signal?: AbortSignal;
  /** How long each long poll waits before the service answers 204. Default 30,000 ms. */
  pollMs?: number;
}

/** Retried forever while the client is open: a watch outlives a lost connection, as in ZooKeeper. */
function transient(e: unknown): boolean {
  return e instanceof ConnectionLossError || e instanceof OperationTimeoutError;
}

/** The service's bound on open watches was reached: wait and poll again, the session is fine. */
function busy(e: unknown): boolean {
  return e instanceof ZkError && e.code === "TOOMANYREQUESTS";
}

// AbortSignal.any lets go of its sources' listeners with the combined signal;
// a listener of our own on the client's closing signal would stay for every watch.
function combined(...signals: (AbortSignal | undefined)[]): AbortSignal {
  return AbortSignal.any(signals.filter((s): s is AbortSignal => s !== undefined));
}

/** Long-polls GET /v1/watch until the watch fires. */
export async function oneShot(ctx: WatchContext, path: string, kind: WatchKind, options: OneShotOptions = {}): Promise<WatchEvent> {
  const signal = combined(ctx.closing, options.signal);
  const pollMs = options.pollMs ?? 30_000;
  // Without a zxid, "from now" is pinned by the first answer so that later polls do not move it.
  let zxid = options.zxid ?? ctx.http.lastZxid;
  let failures = 0;
  for (;;) {
    try {
      const { body, status } = await ctx.http.json<{ type: WatchEventType; path: string; zxid: string }>({
        method: "GET",
        path: encodePath("/v1/watch", path),
        query: { type: kind, zxid: zxid >= 0n ? zxid : undefined, timeoutMs: pollMs },
        headers: ctx.sessionHeader(),
        signal,
        timeoutMs: pollMs + 30_000,
      });
      failures = 0;
      if (status === 200) return eventFromWire(body);
    } catch (e) {
      if (signal.aborted) throw abortReason(signal);
      if (!transient(e) && !busy(e)) {
        if (e instanceof ZkError && e.code === "SESSIONEXPIRED") ctx.expired(e);
        throw e;
      }
      if (transient(e)) ctx.unreachable();
      await sleep(backoffMs(ctx.retry, failures++), signal);
    }
    if (zxid < 0n) zxid = ctx.http.lastZxid;
  }
}

export interface PersistentOptions {
  /** Every node below the path too (PERSISTENT_RECURSIVE). */
  recursive?: boolean;
  /** Start after this zxid; absent means after the last zxid this client has seen (from now). */
  zxid?: bigint;
  signal?: AbortSignal;
  /** How long each stream lasts before the service ends it and the client reconnects. Default 30,000 ms. */
  streamMs?: number;
}

/**
 * A persistent watch (addWatch) as an async iterator. It ends when closed
 * (close(), break out of for-await, the signal, or the client closing), and
 * throws SessionExpiredError / WatchExpiredError when it cannot go on.
 */
export class PersistentWatch implements AsyncIterableIterator<WatchEvent> {
  private readonly ctl = new AbortController();
  private readonly gen: AsyncGenerator<WatchEvent, void, undefined>;
  /** Every event up to this zxid has been delivered. */
  private cursor: bigint;
  /** The last transaction seen, which may have more events to come, and how many of its events were delivered. */
  private pendingZxid = -1n;
  private delivered = 0;

  constructor(
    private readonly ctx: WatchContext,
    readonly path: string,
    private readonly options: PersistentOptions = {},
  ) {
    // "From now" is the last zxid this client has seen, pinned here: events
    // between this call and the first read of the iterator are not lost.
    this.cursor = options.zxid ?? ctx.http.lastZxid;
    const signal = combined(ctx.closing, options.signal, this.ctl.signal);
    this.gen = this.run(signal);
  }

  /** The zxid this watch would resume after: every event up to it has been delivered. */
  get zxid(): bigint {
    return this.cursor;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<WatchEvent, void>> {
    return this.gen.next();
  }

  async return(): Promise<IteratorResult<WatchEvent, void>> {
    this.close();
    return this.gen.return();
  }

  close(): void {
    this.ctl.abort();
  }

  private async *run(signal: AbortSignal): AsyncGenerator<WatchEvent, void, undefined> {
    const streamMs = this.options.streamMs ?? 30_000;
    let failures = 0;
    while (!signal.aborted) {
      let res: Response;
      try {
        res = await this.ctx.http.send({
          method: "GET",
          path: encodePath("/v1/events", this.path),
          query: { recursive: this.options.recursive ? "true" : undefined, zxid: this.cursor >= 0n ? this.cursor : undefined, timeoutMs: streamMs },
          headers: { ...this.ctx.sessionHeader(), accept: "text/event-stream" },
          signal,
          timeoutMs: 0,
        });
      } catch (e) {
        if (signal.aborted) return;
        if (!transient(e) && !busy(e)) {
          if (e instanceof ZkError && e.code === "SESSIONEXPIRED") this.ctx.expired(e);
          throw e;
        }
        if (transient(e)) this.ctx.unreachable();
        await sleep(backoffMs(this.ctx.retry, failures++), signal).catch(() => undefined);
        continue;
      }
      failures = 0;
      // Events of a transaction this watch already told, replayed because the
      // last stream broke off inside that transaction.
      let skip = this.pendingZxid > this.cursor ? this.delivered : 0;
      try {
        for await (const msg of messages(res.body!, signal)) {
          if (msg.event === "error") {
            const err = JSON.parse(msg.data ?? "{}") as { code?: string; message?: string };
            const e = zkError(err.code ?? "SYSTEMERROR", err.message ?? "the event stream failed");
            if (transient(e)) break;
            if (e.code === "SESSIONEXPIRED") this.ctx.expired(e);
            throw e;
          }
          if (msg.data !== undefined) {
            const event = eventFromWire(JSON.parse(msg.data));
            if (event.zxid <= this.cursor) continue;
            if (event.zxid === this.pendingZxid) {
              if (skip > 0) {
                skip--;
                continue;
              }
              this.delivered++;
            } else if (event.zxid > this.pendingZxid) {
              // A new transaction: the one before it is complete.
              if (this.pendingZxid > this.cursor) this.cursor = this.pendingZxid;
              this.pendingZxid = event.zxid;
              this.delivered = 1;
              skip = 0;
            } else continue;
            yield event;
          } else if (msg.id !== undefined && /^\d+$/.test(msg.id)) {
            // An id alone: the stream has passed every transaction up to it.
            const id = BigInt(msg.id);
            if (id > this.cursor && id >= this.pendingZxid) this.cursor = id;
          }
        }
      } catch (e) {
        if (signal.aborted) return;
        if (e instanceof WatchExpiredError || (e instanceof ZkError && !transient(e))) throw e;
        // The stream broke off: reconnect from the cursor.
        this.ctx.unreachable();
        await sleep(backoffMs(this.ctx.retry, failures++), signal).catch(() => undefined);
      }
    }
  }
}

interface SseMessage {
  event?: string;
  data?: string;
  id?: string;
}

/** Server-Sent Events messages from a body (the WHATWG event-stream format). */
async function* messages(body: ReadableStream<Uint8Array>, signal: AbortSignal): AsyncGenerator<SseMessage> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const onAbort = () => void reader.cancel().catch(() => undefined);
  signal.addEventListener("abort", onAbort, { once: true });
  let buffer = "";
  let msg: SseMessage = {};
  let ended = false;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) {
        ended = true;
        return;
      }
      buffer += decoder.decode(value, { stream: true });
      let nl: number;
      while ((nl = buffer.search(/\r\n|\r|\n/)) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + (buffer.startsWith("\r\n", nl) ? 2 : 1));
        if (line === "") {
          if (msg.data !== undefined || msg.id !== undefined || msg.event !== undefined) yield msg;
          msg = {};
          continue;
        }
        if (line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? "" : line.slice(colon + 1);
        if (value.startsWith(" ")) value = value.slice(1);
        if (field === "data") msg.data = msg.data === undefined ? value : `${msg.data}\n${value}`;
        else if (field === "id") msg.id = value;
        else if (field === "event") msg.event = value;
      }
    }
  } finally {
    signal.removeEventListener("abort", onAbort);
    // Left before the stream ended (an error event, a broken message): end
    // the response too, or its connection stays open until the service ends it.
    if (!ended) void reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}
