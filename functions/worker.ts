// The Cloudflare Worker entry: every route, plus the cron trigger. etcd is
// reached through its JSON gateway with fetch.
import { configFrom, type Config } from "../lib/config.js";
import { createGatewayEtcd } from "../lib/etcd/gateway.js";
import type { Etcd } from "../lib/etcd/types.js";
import { runScheduled } from "../scheduled/index.js";
import { createApp } from "./app.js";
import type { Bindings, Fetcher } from "./env.js";

// The client holds no ZooKeeper state, only endpoints and round-trip counters;
// an isolate reuses it across requests to the same cluster.
const clients = new Map<string, Etcd>();

/**
 * `mtls`: the ETCD_MTLS binding, when the Worker has one. Every request to etcd
 * then goes through it, so etcd sees its client certificate (etcd's
 * --client-cert-auth); without it, the Worker's own fetch, which presents none.
 */
function etcdFor(config: Config, mtls?: Fetcher): Etcd {
  const key = JSON.stringify([config.etcdEndpoints, config.etcdUser, config.etcdPassword, mtls !== undefined]);
  let etcd = clients.get(key);
  if (!etcd) {
    const auth = config.etcdUser ? { user: config.etcdUser, password: config.etcdPassword ?? "" } : undefined;
    // Called as the binding's method: workerd refuses a detached one ("Illegal invocation").
    const fetch = mtls && ((input: RequestInfo | URL, init?: RequestInit) => mtls.fetch(input, init));
    // No shared reads or watches: workerd ties a fetch to the request that
    // made it (and cancels it when that request ends), so one request must
    // not wait on another's round trip or stream.
    etcd = createGatewayEtcd({ endpoints: config.etcdEndpoints, auth, fetch, maxTxnOps: config.etcdMaxTxnOps, readsInFlight: 0, shareWatches: false });
    clients.set(key, etcd);
  }
  return etcd;
}

const app = createApp({
  config: (c) => configFrom(c.env),
  etcd: (config, c) => etcdFor(config, c.env.ETCD_MTLS),
  clientIp: (c) => c.req.header("cf-connecting-ip"),
});

export default {
  fetch: app.fetch,
  async scheduled(_controller: unknown, env: Bindings, ctx: { waitUntil(p: Promise<unknown>): void }) {
    ctx.waitUntil(runScheduled(etcdFor(configFrom(env), env.ETCD_MTLS), env));
  },
};
