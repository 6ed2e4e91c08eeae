// What the client tests share: a fetch that can fail on purpose between the
// client and the real service (the request dropped before it is sent, or
// sent and its answer lost, or every request failing as a partition would),
// and waiting on a condition instead of on time.
import type { FetchLike } from "zk-etcd/client";

export type Fault = "drop" | "lose";

export class FaultyFetch {
  private readonly armed: { fault: Fault; match: (method: string, url: string) => boolean }[] = [];
  /** Every request fails, as if the network between client and service were cut. */
  partitioned = false;
  private readonly inFlight = new Set<AbortController>();

  /** Cuts the network: requests in flight (long polls, streams) break off, new ones fail. */
  partition(): void {
    this.partitioned = true;
    for (const ctl of this.inFlight) ctl.abort(new TypeError("terminated"));
    this.inFlight.clear();
  }

  /** Requests seen, by "METHOD pathname". */
  readonly seen: string[] = [];
  /** Failures injected so far. */
  injected = 0;
  /** Event streams cut so far. */
  cuts = 0;
  private cutMarker?: string;

  /** The next event stream breaks off right after the message containing `marker`, as a lost connection would. */
  cutStreamAfter(marker: string): void {
    this.cutMarker = marker;
  }

  /** The next request that matches fails with `fault`. */
  arm(fault: Fault, match: (method: string, url: string) => boolean): void {
    this.armed.push({ fault, match });
  }

  count(prefix: string): number {
    return this.seen.filter((s) => s.startsWith(prefix)).length;
  }

  private cutting(res: Response): Response {
    const decoder = new TextDecoder();
    const encoder = new TextEncoder();
    let buffer = "";
    const body = res.body!.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform: (chunk, controller) => {
          buffer += decoder.decode(chunk, { stream: true });
          let end: number;
          // Whole messages only, so the cut falls exactly after the marked one.
          while ((end = buffer.indexOf("\n\n")) >= 0) {
            const message = buffer.slice(0, end + 2);
            buffer = buffer.slice(end + 2);
            controller.enqueue(encoder.encode(message));
            if (this.cutMarker && message.includes(this.cutMarker)) {
              this.cutMarker = undefined;
              this.cuts++;
              controller.error(new TypeError("terminated"));
              return;
            }
          }
        },
      }),
    );
    return new Response(body, { status: res.status, headers: res.headers });
  }

  readonly fetch: FetchLike = async (input, init) => {
    const method = init.method ?? "GET";
    const url = new URL(input);
    this.seen.push(`${method} ${url.pathname}`);
    const reset = () => {
      this.injected++;
      return new TypeError("fetch failed", { cause: Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }) });
    };
    if (this.partitioned) throw reset();
    const i = this.armed.findIndex((a) => a.match(method, input));
    const fault = i >= 0 ? this.armed.splice(i, 1)[0]!.fault : undefined;
    if (fault === "drop") throw reset();
    const ctl = new AbortController();
    init.signal?.addEventListener("abort", () => ctl.abort(init.signal!.reason), { once: true });
    this.inFlight.add(ctl);
    let res: Response;
    try {
      res = await fetch(input, { ...init, signal: ctl.signal });
    } catch (e) {
      // Cut by partition(): to the client it is a reset connection.
      if (ctl.signal.aborted && !init.signal?.aborted) throw reset();
      throw e;
    }
    if (fault === "lose") {
      await res.arrayBuffer();
      throw reset();
    }
    if (this.cutMarker && url.pathname.startsWith("/v1/events") && res.body) return this.cutting(res);
    return res;
  };
}

/** Polls `check` until it is truthy (never a fixed sleep as synchronisation). */
export async function until<T>(check: () => T | Promise<T>, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
