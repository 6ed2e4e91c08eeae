// Service configuration, from environment variables (Node) or Worker bindings alike.
import { ZkError } from "./errors.js";

export interface Config {
  /** etcd client URLs; several give failover. */
  etcdEndpoints: string[];
  etcdUser?: string;
  etcdPassword?: string;
  /** Node server: PEM files for https:// endpoints (the CA to trust; a client certificate and key). */
  etcdCaFile?: string;
  etcdCertFile?: string;
  etcdKeyFile?: string;
  /** etcd's --max-txn-ops: larger reads are split, larger writes refused (413). */
  etcdMaxTxnOps: number;
  /** Shared read txns on their way to etcd at once (lib/etcd/coalesce.ts); 0: every read alone. The Worker never shares. */
  etcdReadsInFlight: number;
  /** Key prefix: many tenants may share one etcd. */
  prefix: string;
  /** Largest znode data, and largest total data of a multi (jute.maxbuffer − 1). */
  maxDataBytes: number;
  /** ZooKeeper's tickTime: session timeouts are negotiated from it. */
  tickTimeMs: number;
  minSessionTimeoutMs: number;
  maxSessionTimeoutMs: number;
  /** Attempts of one guarded transaction before giving up under contention. */
  maxAttempts: number;
  /** Znodes the scheduled run examines per run, for each of its two scans. */
  scheduleBatch: number;
  /** Longest wait of one watch poll or event stream; a longer `timeoutMs` is clamped to it. */
  maxWatchTimeoutMs: number;
  /** Serve callers without credentials. */
  allowAnonymous: boolean;
  /** When set, the only `user:password` pairs that authenticate; otherwise any (ZooKeeper's digest). */
  apiCredentials?: Map<string, string>;
  // Hardening (issue 14): who may call the admin routes, and the limits on what one request or caller may take.
  /** `user:password` pairs that may call the admin routes (stats); they authenticate as any caller too. */
  adminCredentials?: Map<string, string>;
  /** Largest request body of any route, refused (TOOLARGE) before it is read. */
  maxBodyBytes: number;
  /** Most ops in one multi or multiRead, refused (TOOLARGE) before etcd is asked. */
  maxMultiOps: number;
  /** Most children one getChildren lists; a znode with more answers TOOLARGE. */
  maxChildren: number;
  /** Watch polls and event streams open at once, per caller and in this process (or Worker isolate); more are told to come back later. */
  maxWaitsPerCaller: number;
  maxWaits: number;
  /** The ZooKeeper-protocol listener: how long a connection may stay open without asking for a session. */
  clientHandshakeMs: number;
  /** The ZooKeeper-protocol listener: connections open at once from one address; 0 for no bound. */
  maxClientCnxns: number;
}

/** Variable names and what they set; the README's configuration table lists the same. */
export type ConfigVars = Partial<Record<
  | "ETCD_ENDPOINTS"
  | "ETCD_USER"
  | "ETCD_PASSWORD"
  | "ETCD_CA_FILE"
  | "ETCD_CERT_FILE"
  | "ETCD_KEY_FILE"
  | "ETCD_MAX_TXN_OPS"
  | "ETCD_READS_IN_FLIGHT"
  | "ZK_PREFIX"
  | "ZK_MAX_DATA_BYTES"
  | "ZK_TICK_TIME_MS"
  | "ZK_MIN_SESSION_TIMEOUT_MS"
  | "ZK_MAX_SESSION_TIMEOUT_MS"
  | "ZK_ALLOW_ANONYMOUS"
  | "ZK_API_CREDENTIALS"
  | "ZK_SCHEDULE_BATCH"
  | "ZK_MAX_WATCH_TIMEOUT_MS"
  | "ZK_ADMIN_CREDENTIALS"
  | "ZK_MAX_BODY_BYTES"
  | "ZK_MAX_MULTI_OPS"
  | "ZK_MAX_CHILDREN"
  | "ZK_MAX_WAITS_PER_CALLER"
  | "ZK_MAX_WAITS"
  | "ZK_CLIENT_HANDSHAKE_MS"
  | "ZK_MAX_CLIENT_CNXNS",
  string | undefined
>>;

function int(vars: ConfigVars, name: keyof ConfigVars, fallback: number): number {
  const raw = vars[name];
  if (raw === undefined || raw === "") return fallback;
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(Number(raw))) {
    throw new ZkError("SYSTEMERROR", `configuration: ${name} must be a non-negative integer, not ${JSON.stringify(raw)}`);
  }
  return Number(raw);
}

export function configFrom(vars: ConfigVars): Config {
  const tickTimeMs = int(vars, "ZK_TICK_TIME_MS", 2000);
  const credentials = vars.ZK_API_CREDENTIALS?.trim();
  return {
    etcdEndpoints: (vars.ETCD_ENDPOINTS ?? "http://127.0.0.1:2379").split(",").map((e) => e.trim()).filter(Boolean),
    etcdUser: vars.ETCD_USER || undefined,
    etcdPassword: vars.ETCD_PASSWORD || undefined,
    etcdCaFile: vars.ETCD_CA_FILE || undefined,
    etcdCertFile: vars.ETCD_CERT_FILE || undefined,
    etcdKeyFile: vars.ETCD_KEY_FILE || undefined,
    etcdMaxTxnOps: int(vars, "ETCD_MAX_TXN_OPS", 128),
    etcdReadsInFlight: int(vars, "ETCD_READS_IN_FLIGHT", 1),
    prefix: vars.ZK_PREFIX ?? "zk/",
    maxDataBytes: int(vars, "ZK_MAX_DATA_BYTES", 1_048_575),
    tickTimeMs,
    // ZooKeeper's defaults: 2 and 20 ticks.
    minSessionTimeoutMs: int(vars, "ZK_MIN_SESSION_TIMEOUT_MS", 2 * tickTimeMs),
    maxSessionTimeoutMs: int(vars, "ZK_MAX_SESSION_TIMEOUT_MS", 20 * tickTimeMs),
    maxAttempts: 200,
    scheduleBatch: int(vars, "ZK_SCHEDULE_BATCH", 256),
    // Under the 100 s an HTTP proxy (Cloudflare's among them) lets a response stay silent.
    maxWatchTimeoutMs: int(vars, "ZK_MAX_WATCH_TIMEOUT_MS", 60_000),
    allowAnonymous: vars.ZK_ALLOW_ANONYMOUS === "true",
    apiCredentials: credentials ? pairs(credentials) : undefined,
    adminCredentials: vars.ZK_ADMIN_CREDENTIALS?.trim() ? pairs(vars.ZK_ADMIN_CREDENTIALS.trim()) : undefined,
    // Room for a multi whose data reach ZK_MAX_DATA_BYTES, base64 and JSON around them.
    maxBodyBytes: int(vars, "ZK_MAX_BODY_BYTES", 3 * 1024 * 1024),
    // Each op of a multi reads about eight etcd ranges before anything is decided.
    maxMultiOps: int(vars, "ZK_MAX_MULTI_OPS", 1000),
    // A listing of this many names of up to ~40 bytes stays under gRPC's 4 MiB message.
    maxChildren: int(vars, "ZK_MAX_CHILDREN", 50_000),
    maxWaitsPerCaller: int(vars, "ZK_MAX_WAITS_PER_CALLER", 64),
    maxWaits: int(vars, "ZK_MAX_WAITS", 2048),
    // ZooKeeper's zookeeper.nio.sessionlessCnxnTimeout.
    clientHandshakeMs: int(vars, "ZK_CLIENT_HANDSHAKE_MS", 10_000),
    // ZooKeeper's maxClientCnxns.
    maxClientCnxns: int(vars, "ZK_MAX_CLIENT_CNXNS", 60),
  };
}

/** `user:password,...`; a pair without a colon is a configuration error. */
function pairs(list: string): Map<string, string> {
  return new Map(
    list.split(",").map((pair) => {
      const i = pair.indexOf(":");
      if (i <= 0) throw new ZkError("SYSTEMERROR", "configuration: credentials must be user:password pairs separated by commas");
      return [pair.slice(0, i), pair.slice(i + 1)] as [string, string];
    }),
  );
}
