// The front door in process for the wire tests: a real etcd per file, a
// ZooKeeper-protocol listener on a free loopback port, and the HTTP app on
// the same key prefix (the other door to the same tree).
import { afterAll, beforeAll } from "vitest";
import { configFrom, type ConfigVars } from "../../lib/config.js";
import type { Etcd } from "../../lib/etcd/types.js";
import { startZkServer, type ZkServer } from "../../zkwire/server.js";
import { startEtcd, type EtcdServer } from "../support/etcd-server.js";
import { etcdClient, service } from "../support/service.js";

let prefixes = 0;

export interface FrontDoor {
  zk: ZkServer;
  http: ReturnType<typeof service>;
  vars: ConfigVars;
}

/** One etcd per file; `door()` makes a front door and an HTTP app on a fresh prefix. */
export function frontDoorPerFile(defaults: ConfigVars = {}) {
  let server: EtcdServer | undefined;
  let etcd: Etcd | undefined;
  const doors: ZkServer[] = [];
  beforeAll(async () => {
    server = await startEtcd();
    etcd = etcdClient("grpc", [server.endpoint]);
  }, 60_000);
  afterAll(async () => {
    for (const d of doors) await d.close();
    await etcd?.close();
    await server?.stop();
  }, 60_000);
  return {
    etcd: () => etcd!,
    server: () => server!,
    async door(extra: ConfigVars = {}): Promise<FrontDoor> {
      const vars: ConfigVars = { ZK_ALLOW_ANONYMOUS: "true", ZK_TICK_TIME_MS: "500", ZK_PREFIX: `w${process.pid}-${++prefixes}/`, ...defaults, ...extra };
      const zk = await startZkServer({ config: configFrom(vars), etcd: etcd!, port: 0 });
      doors.push(zk);
      return { zk, http: service(etcd!, vars), vars };
    },
  };
}

export async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
