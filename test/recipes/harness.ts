// What every recipe test file shares: one real etcd and the service listening
// on a loopback port (test/support/http-service.ts), started once per file;
// clients with their own sessions; and sessions closed "from outside" with a
// plain HTTP call. A client is cut off from the service, or loses one answer,
// through the client tests' FaultyFetch (test/client/support.ts).
import { afterAll, beforeAll } from "vitest";
import { connect, type FetchLike, type ZkClient } from "../../client/index.js";
import { startEtcd, type EtcdServer } from "../support/etcd-server.js";
import { startHttpService, type HttpService } from "../support/http-service.js";

/** Short enough that a test can let a session lapse, long enough for a loaded machine to keep one alive. */
export const SESSION_MS = 4000;

export interface Harness {
  url(): string;
  /** A new client with its own session; closed after the file. */
  client(options?: { sessionTimeoutMs?: number; fetch?: FetchLike }): Promise<ZkClient>;
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
