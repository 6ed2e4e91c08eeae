// The types every route shares: bindings, per-request variables, and what an
// entry point (Worker or Node server) supplies.
import type { Context } from "hono";
import type { Config, ConfigVars } from "../lib/config.js";
import type { Ctx } from "../lib/context.js";
import type { Etcd } from "../lib/etcd/types.js";
import type { Identity } from "../lib/model.js";
import type { Waits } from "./waits.js";

/** A Worker binding that fetches, such as an mTLS certificate binding (it presents its client certificate). */
export interface Fetcher {
  fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response>;
}

/** The Worker's bindings: the variables, and optionally `[[mtls_certificates]] binding = "ETCD_MTLS"` to reach etcd with. */
export type Bindings = ConfigVars & { ETCD_MTLS?: Fetcher };

export interface AppEnv {
  Bindings: Bindings;
  Variables: {
    config: Config;
    /** This request's etcd client, counting its round trips. */
    etcd: Etcd & { calls: number };
    /** The caller's identities, once its credentials are checked. */
    ids: Identity[];
    /** Made once route, method and session are known (routes/resource.ts). */
    ctx?: Ctx;
    /** The ZooKeeper op a route performs: names its round-trip count in /v1/stats. */
    op: string;
    /** Routes where a missing parent is 409 (create) rather than 404. */
    creates?: boolean;
    /** Multi answers carry each op's code. */
    multi?: boolean;
    /** Methods of the matched route, for 405's Allow. */
    allow?: string;
    /** The caller authenticated with an admin credential (ZK_ADMIN_CREDENTIALS). */
    admin: boolean;
    /** Open watch polls and event streams of this app (functions/waits.ts). */
    waits: Waits;
  };
}

export interface Deps {
  config(c: Context<AppEnv>): Config;
  /** The etcd client for a configuration: the Node server keeps one, the Worker makes one per request. */
  etcd(config: Config, c: Context<AppEnv>): Etcd;
  /** The caller's address: ZooKeeper gives every connection an ("ip", address) identity. */
  clientIp(c: Context<AppEnv>): string | undefined;
}
