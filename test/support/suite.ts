// One real etcd per test file, started before its tests and stopped after,
// with a client per transport.
import { afterAll, beforeAll } from "vitest";
import type { Etcd } from "../../lib/etcd/types.js";
import { startEtcd, type EtcdServer } from "./etcd-server.js";
import { etcdClient, TRANSPORTS, type Transport } from "./service.js";

export function etcdPerFile(): { server(): EtcdServer; client(t: Transport): Etcd } {
  let server: EtcdServer | undefined;
  const clients = new Map<Transport, Etcd>();
  beforeAll(async () => {
    server = await startEtcd();
    for (const t of TRANSPORTS) clients.set(t, etcdClient(t, [server.endpoint]));
  });
  afterAll(async () => {
    for (const c of clients.values()) await c.close();
    await server?.stop();
  });
  return {
    server: () => server!,
    client: (t) => clients.get(t)!,
  };
}
