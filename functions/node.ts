// The Node server entry: every route on @hono/node-server, etcd over gRPC, and
// the scheduled job on an interval.
import { serve } from "@hono/node-server";
import { getConnInfo } from "@hono/node-server/conninfo";
import { readFileSync } from "node:fs";
import { configFrom, type Config } from "../lib/config.js";
import { createGrpcEtcd, type GrpcEtcdOptions } from "../lib/etcd/grpc.js";
import { runScheduled } from "../scheduled/index.js";
import { createApp } from "./app.js";

/**
 * The PEM files named by ETCD_CA_FILE, ETCD_CERT_FILE and ETCD_KEY_FILE. One
 * that cannot be read stops the server at start: a configuration error, unlike
 * a certificate or password etcd refuses, which is a 503 until fixed.
 */
function etcdTls(config: Config): GrpcEtcdOptions["tls"] {
  const read = (variable: string, file?: string) => {
    if (file === undefined) return undefined;
    try {
      return readFileSync(file);
    } catch (e) {
      console.error(`${variable}=${file}: ${(e as Error).message}`);
      process.exit(1);
    }
  };
  if ((config.etcdCertFile === undefined) !== (config.etcdKeyFile === undefined)) {
    console.error("ETCD_CERT_FILE and ETCD_KEY_FILE go together: a client certificate needs its key");
    process.exit(1);
  }
  return { ca: read("ETCD_CA_FILE", config.etcdCaFile), cert: read("ETCD_CERT_FILE", config.etcdCertFile), key: read("ETCD_KEY_FILE", config.etcdKeyFile) };
}

const vars = process.env;
const config = configFrom(vars);
const auth = config.etcdUser ? { user: config.etcdUser, password: config.etcdPassword ?? "" } : undefined;
const etcd = createGrpcEtcd({ endpoints: config.etcdEndpoints, auth, tls: etcdTls(config), maxTxnOps: config.etcdMaxTxnOps, readsInFlight: config.etcdReadsInFlight });
const app = createApp({ config: () => config, etcd: () => etcd, clientIp: (c) => getConnInfo(c).remote.address });

const port = Number(vars.PORT ?? 8787);
const hostname = vars.HOST ?? "127.0.0.1";
const server = serve({ fetch: app.fetch, port, hostname }, (info) => {
  console.log(`zookeeper-on-etcd listening on http://${hostname}:${info.port} (etcd ${config.etcdEndpoints.join(",")})`);
});

const intervalMs = Number(vars.ZK_SCHEDULE_INTERVAL_MS ?? 60_000);
const timer = setInterval(() => {
  runScheduled(etcd, vars).catch((e) => console.error("scheduled run failed:", e));
}, intervalMs);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    clearInterval(timer);
    server.close(() => void etcd.close().then(() => process.exit(0)));
  });
}
