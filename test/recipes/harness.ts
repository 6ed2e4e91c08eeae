// What every recipe test file shares: one real etcd and the service listening
// on a loopback port (test/support/http-service.ts), started once per file;
// clients with their own sessions; sessions closed "from outside" with a plain
// HTTP call; and a fetch per client that a test can cut off (the service
// unreachable for that client alone) or make lose one answer.
import { afterAll, beforeAll } from "vitest";
import { connect, type ZkClient } from "../../client/index.js";
import { startEtcd, type EtcdServer } from "../support/etcd-server.js";
import { startHttpService, type HttpService } from "../support/http-service.js";

/** Short enough that a test can let a session lapse, long enough for a loaded machine to keep one alive. */
export const SESSION_MS = 4000;

export interface Harness {
  url(): string;
  /** A new client with its own session; closed after the file. */
  client(options?: { sessionTimeoutMs?: number; fetch?: typeof fetch }): Promise<ZkClient>;
  /** Closes a session as another party would (an operator, zkCli's `close`): its ephemerals go at once. */
  closeSession(id: bigint): Promise<number>;
}

export function servicePerFile(): Harness {
  let etcd: EtcdServer | undefined;
  let svc: HttpService | undefined;
  const clients: ZkClient[] = [];
  beforeAll(async () => {
    etcd = await startEtcd();
    svc = await startHttpService(etcd.endpoint, { ZK_MIN_SESSION_TIMEOUT_MS: "1000" });
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    await svc?.close();
    await etcd?.stop();
  });
  return {
    url: () => svc!.url,
    async client(options = {}) {
      const c = await connect({ url: svc!.url, sessionTimeoutMs: options.sessionTimeoutMs ?? SESSION_MS, fetch: options.fetch });
      clients.push(c);
      return c;
    },
    closeSession: async (id) => (await fetch(`${svc!.url}/v1/sessions/${id}`, { method: "DELETE" })).status,
  };
}

/**
 * A fetch for one client that the test controls. cut(): every request fails
 * as a refused connection would, and requests in flight (long polls) break
 * off. loseNextAnswer(match): the next matching request reaches the service,
 * which applies it, but its answer is dropped, as when a connection dies
 * after the request was sent.
 */
export function faultyFetch() {
  let cut = false;
  const inFlight = new Set<AbortController>();
  let lose: ((url: string, init: RequestInit) => boolean) | undefined;
  let lost = 0;
  const refused = () => Object.assign(new TypeError("fetch failed"), { cause: Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }) });
  const f = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    if (cut) throw refused();
    const url = String(input);
    const ctl = new AbortController();
    inFlight.add(ctl);
    const outer = init.signal;
    const onAbort = () => ctl.abort(outer!.reason);
    outer?.addEventListener("abort", onAbort, { once: true });
    try {
      const res = await fetch(input, { ...init, signal: outer?.aborted ? outer : ctl.signal });
      if (lose?.(url, init)) {
        lose = undefined;
        lost++;
        await res.arrayBuffer();
        throw Object.assign(new TypeError("fetch failed"), { cause: Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }) });
      }
      if (cut) throw refused();
      return res;
    } catch (e) {
      if (ctl.signal.aborted && !outer?.aborted) throw refused();
      throw e;
    } finally {
      inFlight.delete(ctl);
      outer?.removeEventListener("abort", onAbort);
    }
  };
  return {
    fetch: f as typeof fetch,
    cut() {
      cut = true;
      for (const c of inFlight) c.abort();
    },
    restore() {
      cut = false;
    },
    loseNextAnswer(match: (url: string, init: RequestInit) => boolean) {
      lose = match;
    },
    /** How many answers were dropped so far. */
    lostAnswers: () => lost,
  };
}

/** Resolves once `cond` holds, polling; fails with `what` after `ms` (generous: the machine is shared). */
export async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A promise and its resolve, for a test to release a holder when it chooses. */
export function gate(): { opened: Promise<void>; open(): void } {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { opened, open };
}
