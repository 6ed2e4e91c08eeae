// What every recipe test file shares: one real etcd and the service as a real
// listening HTTP server in this process (the clients under test reach it over
// loopback sockets, as they would a deployed service), started once per file;
// and sessions closed "from outside" with a plain HTTP call.
import type { AddressInfo } from "node:net";
import { serve, type ServerType } from "@hono/node-server";
import { afterAll, beforeAll } from "vitest";
import { createApp } from "../../functions/app.js";
import { configFrom } from "../../lib/config.js";
import { createGrpcEtcd } from "../../lib/etcd/grpc.js";
import type { Etcd } from "../../lib/etcd/types.js";
import { startEtcd, type EtcdServer } from "../support/etcd-server.js";

export interface RecipeService {
  /** The service's base URL, e.g. http://127.0.0.1:40123 */
  url: string;
  /** Closes a session as another party would (an operator, zkCli's `close`): its ephemerals go at once. */
  closeSession(id: bigint | string): Promise<number>;
}

let prefixes = 0;

/**
 * One etcd and one service for the whole file. Sessions may be as short as
 * 1 s, so a test can let a session lapse; each call to `fresh()` gives a new
 * key prefix, so tests in one file never see each other's trees.
 */
export function servicePerFile(): { svc(): RecipeService } {
  let etcdServer: EtcdServer | undefined;
  let etcd: Etcd | undefined;
  let http: ServerType | undefined;
  let url = "";
  beforeAll(async () => {
    etcdServer = await startEtcd();
    etcd = createGrpcEtcd({ endpoints: [etcdServer.endpoint] });
    const config = configFrom({
      ZK_ALLOW_ANONYMOUS: "true",
      ZK_PREFIX: `r${process.pid}-${++prefixes}/`,
      ZK_MIN_SESSION_TIMEOUT_MS: "1000",
    });
    const app = createApp({ config: () => config, etcd: () => etcd!, clientIp: () => "127.0.0.1" });
    url = await new Promise<string>((resolve) => {
      http = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (info: AddressInfo) => resolve(`http://127.0.0.1:${info.port}`));
    });
  });
  afterAll(async () => {
    if (http) {
      // Long polls and event streams of clients a failed test left open must not hold the file open.
      (http as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      await new Promise((r) => http!.close(() => r(undefined)));
    }
    await etcd?.close();
    await etcdServer?.stop();
  });
  return {
    svc: () => ({
      url,
      closeSession: async (id) => (await fetch(`${url}/v1/sessions/${id}`, { method: "DELETE" })).status,
    }),
  };
}

/** Resolves once `cond` holds, polling; fails with `what` after `ms` (generous: the machine is shared). */
export async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
