// The Node server entry: every route on @hono/node-server, etcd over gRPC, and
// the scheduled job on an interval.
import { serve } from "@hono/node-server";
import { getConnInfo } from "@hono/node-server/conninfo";
import { configFrom } from "../lib/config.js";
import { createGrpcEtcd } from "../lib/etcd/grpc.js";
import { runScheduled } from "../scheduled/index.js";
import { startZkServer, type ZkServer } from "../zkwire/server.js";
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

// ZooKeeper's own client protocol beside the HTTP routes (docs/wire.md).
let zk: ZkServer | undefined;
if (vars.ZK_CLIENT_PORT) {
  const zkHost = vars.ZK_CLIENT_HOST ?? hostname;
  startZkServer({ config, etcd, host: zkHost, port: Number(vars.ZK_CLIENT_PORT) }).then(
    (s) => {
      zk = s;
      console.log(`zookeeper-on-etcd listening for ZooKeeper clients on ${s.host}:${s.port}`);
    },
    (e) => {
      console.error("could not start the ZooKeeper client listener:", e);
      process.exit(1);
    },
  );
}

const intervalMs = Number(vars.ZK_SCHEDULE_INTERVAL_MS ?? 60_000);
const timer = setInterval(() => {
  runScheduled(etcd, vars).catch((e) => console.error("scheduled run failed:", e));
}, intervalMs);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    clearInterval(timer);
    void (zk?.close() ?? Promise.resolve()).finally(() => server.close(() => void etcd.close().then(() => process.exit(0))));
  });
}
