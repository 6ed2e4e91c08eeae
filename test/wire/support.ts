// The front door in process for the wire tests: a real etcd per file, a
// ZooKeeper-protocol listener on a free loopback port, and the HTTP app on
// the same key prefix (the other door to the same tree).
import { createRequire } from "node:module";
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

// ---- node-zookeeper-client (untyped CommonJS: what the tests use of it, typed here) ----

export type NzkCallback<T> = (error: (Error & { code?: number }) | null, result: T) => void;
export interface NzkStat {
  version: number;
  ephemeralOwner: Buffer;
  numChildren: number;
}
export interface NzkClient {
  connect(): void;
  close(): void;
  once(event: "connected" | "disconnected" | "expired", listener: () => void): void;
  on(event: "state", listener: (state: { name: string; code: number }) => void): void;
  getSessionId(): Buffer;
  addAuthInfo(scheme: string, auth: Buffer): void;
  create(path: string, data: Buffer | null, acls: unknown[], mode: number, callback: NzkCallback<string>): void;
  getData(path: string, watcher: ((e: { type: number; name: string; path: string }) => void) | undefined, callback: (error: Error | null, data: Buffer, stat: NzkStat) => void): void;
  exists(path: string, watcher: ((e: { type: number; name: string; path: string }) => void) | undefined, callback: NzkCallback<NzkStat | null>): void;
  getChildren(path: string, watcher: ((e: { type: number; name: string; path: string }) => void) | undefined, callback: (error: Error | null, children: string[], stat: NzkStat) => void): void;
  setData(path: string, data: Buffer, version: number, callback: NzkCallback<NzkStat>): void;
  remove(path: string, version: number, callback: NzkCallback<void>): void;
  transaction(): {
    create(path: string, data?: Buffer, acls?: unknown[], mode?: number): ReturnType<NzkClient["transaction"]>;
    setData(path: string, data: Buffer, version?: number): ReturnType<NzkClient["transaction"]>;
    check(path: string, version?: number): ReturnType<NzkClient["transaction"]>;
    remove(path: string, version?: number): ReturnType<NzkClient["transaction"]>;
    commit(callback: (error: (Error & { code?: number }) | null, results: { type: number; err?: number; path?: string }[]) => void): void;
  };
}
export interface NzkModule {
  CreateMode: { PERSISTENT: number; EPHEMERAL: number; PERSISTENT_SEQUENTIAL: number; EPHEMERAL_SEQUENTIAL: number };
  ACL: { OPEN_ACL_UNSAFE: unknown[] };
  Exception: Record<string, number>;
  createClient(connectString: string, options?: { sessionTimeout?: number; spinDelay?: number; retries?: number }): NzkClient;
}
export const nzk = createRequire(import.meta.url)("node-zookeeper-client") as NzkModule;

/** A connected node-zookeeper-client. */
export async function nzkConnect(port: number, sessionTimeout = 10_000): Promise<NzkClient> {
  const c = nzk.createClient(`127.0.0.1:${port}`, { sessionTimeout, spinDelay: 100, retries: 0 });
  await new Promise<void>((resolve) => {
    c.once("connected", resolve);
    c.connect();
  });
  return c;
}

/** A callback API as a promise of its first result (node-zookeeper-client). */
export function nzkCall<T>(start: (cb: NzkCallback<T>) => void): Promise<T> {
  return new Promise((resolve, reject) => start((e, r) => (e ? reject(e) : resolve(r))));
}
