// The service in process, over either transport, against a real etcd: routes
// are exercised with app.request(), no socket needed.
import { createApp } from "../../functions/app.js";
import { configFrom, type ConfigVars } from "../../lib/config.js";
import { createGatewayEtcd } from "../../lib/etcd/gateway.js";
import { createGrpcEtcd, type GrpcEtcdOptions } from "../../lib/etcd/grpc.js";
import type { Etcd } from "../../lib/etcd/types.js";

export type Transport = "gateway" | "grpc";
export const TRANSPORTS: Transport[] = ["gateway", "grpc"];

/** What a secured etcd needs besides endpoints: credentials, and TLS (the gRPC transport's files, the gateway's fetch). */
export interface EtcdClientExtras {
  auth?: { user: string; password: string };
  tls?: GrpcEtcdOptions["tls"];
  fetch?: typeof fetch;
  log?: (line: string) => void;
}

export function etcdClient(transport: Transport, endpoints: string[], timeoutMs?: number, extras: EtcdClientExtras = {}): Etcd {
  const { auth, tls, fetch, log } = extras;
  return transport === "grpc" ? createGrpcEtcd({ endpoints, timeoutMs, auth, tls, log }) : createGatewayEtcd({ endpoints, timeoutMs, auth, fetch, log });
}

export interface Reply {
  status: number;
  headers: Headers;
  body: any;
  zxid: bigint;
}

let prefixes = 0;

/** A service on its own key prefix, so tests sharing one etcd see fresh trees. */
export function service(etcd: Etcd, vars: ConfigVars = {}, clientIp = "127.0.0.1") {
  const config = configFrom({
    ZK_ALLOW_ANONYMOUS: "true",
    ZK_PREFIX: `t${process.pid}-${++prefixes}/`,
    ...vars,
  });
  const app = createApp({ config: () => config, etcd: () => etcd, clientIp: () => clientIp });

  async function call(method: string, path: string, init: { json?: unknown; body?: BodyInit; headers?: Record<string, string> } = {}): Promise<Reply> {
    const headers: Record<string, string> = { ...init.headers };
    let body = init.body;
    if (init.json !== undefined) {
      body = JSON.stringify(init.json);
      headers["content-type"] ??= "application/json";
    }
    const res = await app.request(`http://localhost${path}`, { method, headers, body });
    const text = await res.text();
    let parsed: any = text;
    if ((res.headers.get("content-type") ?? "").includes("json") && text) parsed = JSON.parse(text);
    const zxid = res.headers.get("zk-zxid");
    if (zxid === null) throw new Error(`${method} ${path}: no ZK-Zxid header`);
    return { status: res.status, headers: res.headers, body: parsed, zxid: BigInt(zxid) };
  }
  return { app, config, call, prefix: config.prefix };
}

export const b64 = (s: string) => Buffer.from(s).toString("base64");
export const unb64 = (s: string) => Buffer.from(s, "base64").toString();
