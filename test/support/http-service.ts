// The Node server's app listening on a real loopback port, in process, over
// gRPC to a real etcd: for clients that must talk real HTTP (the TypeScript
// client, the zk CLI). stop() and start() close and reopen the same port, so
// a test can make the service unreachable and bring it back.
import { serve, type ServerType } from "@hono/node-server";
import { getConnInfo } from "@hono/node-server/conninfo";
import type { Server } from "node:http";
import { createApp } from "../../functions/app.js";
import { configFrom, type ConfigVars } from "../../lib/config.js";
import { createGrpcEtcd } from "../../lib/etcd/grpc.js";
import { freePort } from "./process.js";

export interface HttpService {
  /** http://127.0.0.1:PORT */
  url: string;
  port: number;
  /** Closes the listener and every open connection (streams and long polls break off). */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
  /** stop(), then closes the etcd client. */
  close(): Promise<void>;
}

let prefixes = 0;

export async function startHttpService(etcdEndpoint: string, vars: ConfigVars = {}): Promise<HttpService> {
  const config = configFrom({
    ETCD_ENDPOINTS: etcdEndpoint,
    ZK_ALLOW_ANONYMOUS: "true",
    ZK_PREFIX: `h${process.pid}-${++prefixes}/`,
    ...vars,
  });
  const etcd = createGrpcEtcd({ endpoints: config.etcdEndpoints, timeoutMs: 3000 });
  const app = createApp({ config: () => config, etcd: () => etcd, clientIp: (c) => getConnInfo(c).remote.address ?? "127.0.0.1" });
  const port = await freePort();
  let server: ServerType | undefined;

  const start = () =>
    new Promise<void>((resolve, reject) => {
      const s = serve({ fetch: app.fetch, port, hostname: "127.0.0.1" }, () => resolve());
      (s as Server).once("error", reject);
      server = s;
    });
  const stop = async () => {
    const s = server as Server | undefined;
    server = undefined;
    if (!s) return;
    const closed = new Promise<void>((resolve) => s.close(() => resolve()));
    s.closeAllConnections();
    await closed;
  };
  await start();
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    stop,
    start,
    async close() {
      await stop();
      await etcd.close();
    },
  };
}
