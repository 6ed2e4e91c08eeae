// The Node server entry: every route on @hono/node-server, etcd over gRPC, and
// the scheduled job on an interval.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { getRequestListener } from "@hono/node-server";
import { getConnInfo } from "@hono/node-server/conninfo";
import { readFileSync } from "node:fs";
import { configFrom, type Config } from "../lib/config.js";
import { Ctx } from "../lib/context.js";
import { createGrpcEtcd, type GrpcEtcdOptions } from "../lib/etcd/grpc.js";
import { runScheduled } from "../scheduled/index.js";
import { checkCaller } from "../lib/znodes.js";
import { startZkServer, type ZkServer } from "../zkwire/server.js";
import { createApp } from "./app.js";
import { answerClientErrors, unparsableRequest } from "./client-error.js";

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
// The last zxid for answers made outside the app; -1 unless etcd answers within a second.
const lastZxid = () =>
  Promise.race([
    checkCaller(new Ctx(etcd, config)).then((zxid) => zxid.toString()),
    new Promise<string>((resolve) => setTimeout(resolve, 1000, "-1").unref()),
  ]);
// serve() without its default bare 400s: what cannot become a Request, or is
// refused by the HTTP parser, still gets a JSON error (client-error.ts).
const server = createServer(getRequestListener(app.fetch, { hostname, errorHandler: (e) => unparsableRequest(e, lastZxid) }));
answerClientErrors(server, lastZxid);
server.listen(port, hostname, () => {
  console.log(`zookeeper-on-etcd listening on http://${hostname}:${(server.address() as AddressInfo).port} (etcd ${config.etcdEndpoints.join(",")})`);
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
