// The Node server entry: every route on @hono/node-server, etcd over gRPC, and
// the scheduled job on an interval.
import { serve } from "@hono/node-server";
import { getConnInfo } from "@hono/node-server/conninfo";
import { configFrom } from "../lib/config.js";
import { createGrpcEtcd } from "../lib/etcd/grpc.js";
import { runScheduled } from "../scheduled/index.js";
import { createApp } from "./app.js";

const vars = process.env;
const config = configFrom(vars);
const auth = config.etcdUser ? { user: config.etcdUser, password: config.etcdPassword ?? "" } : undefined;
const etcd = createGrpcEtcd({ endpoints: config.etcdEndpoints, auth, maxTxnOps: config.etcdMaxTxnOps, readsInFlight: config.etcdReadsInFlight });
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
