// The front door: ZooKeeper's client protocol on a TCP port, over the same
// lib/ operations and the same etcd tree as the HTTP routes.
import net from "node:net";
import type { Config } from "../lib/config.js";
import { Ctx } from "../lib/context.js";
import type { Etcd } from "../lib/etcd/types.js";
import { Connection } from "./connection.js";
import { ServerStats } from "./stats.js";
import { WatchHub } from "./watches.js";

export interface ZkServerOptions {
  config: Config;
  etcd: Etcd;
  host?: string;
  /** 0: any free port. */
  port: number;
}

export interface ZkServer {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

export async function startZkServer(opts: ZkServerOptions): Promise<ZkServer> {
  const { config, etcd } = opts;
  const hub = new WatchHub(() => new Ctx(etcd, config));
  // Connections are served while the hub starts: etcd may be away now.
  const starting = hub.start();
  const stats = new ServerStats();
  const sockets = new Set<net.Socket>();
  /** Open connections by remote address, for ZK_MAX_CLIENT_CNXNS. */
  const byAddress = new Map<string, number>();
  const host = opts.host ?? "127.0.0.1";
  let port = opts.port;
  const server = net.createServer((sock) => {
    const address = sock.remoteAddress ?? "unknown";
    const open = byAddress.get(address) ?? 0;
    // As ZooKeeper does past maxClientCnxns: closed before a byte is read, so
    // one client's leak or loop cannot take every connection a server has.
    if (config.maxClientCnxns > 0 && open >= config.maxClientCnxns) {
      console.error(`zkwire: too many connections from ${address}: max is ${config.maxClientCnxns} (ZK_MAX_CLIENT_CNXNS)`);
      sock.destroy();
      return;
    }
    byAddress.set(address, open + 1);
    sockets.add(sock);
    sock.on("close", () => {
      sockets.delete(sock);
      const left = (byAddress.get(address) ?? 1) - 1;
      if (left === 0) byAddress.delete(address);
      else byAddress.set(address, left);
    });
    new Connection(sock, { config, etcd, hub, stats, port });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  port = (server.address() as net.AddressInfo).port;
  return {
    host,
    port,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
      await hub.stop();
      await starting;
    },
  };
}
