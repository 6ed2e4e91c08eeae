// Test helper: throwaway etcd servers on loopback, each with a fresh data dir
// and free ports, for integration and fault tests.
//
// The binary is $ETCD_BIN, else /usr/bin/etcd (Debian's etcd-server).
// Ports are found by binding port 0 and closing; another process can take one
// before etcd binds it, so a start that fails with "address already in use"
// is retried on new ports.

import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { tlsFetch, type TestCertificates } from "./certificates.js";
import { freePort, freePorts, spawnTracked, type Tracked } from "./process.js";

export interface EtcdServer {
  /** http://127.0.0.1:PORT, or https:// when started with `tls`. */
  endpoint: string;
  /** The certificates it was started with, if any. */
  tls?: TestCertificates;
  clientPort: number;
  dataDir: string;
  /** The etcd process, while it runs (the bench reads its CPU time). */
  pid(): number | undefined;
  stop(): Promise<void>;
}

export interface EtcdClusterMember {
  name: string;
  endpoint: string;
  clientPort: number;
  dataDir: string;
  /** Kills the member (SIGTERM, then SIGKILL); its data dir stays for start(). */
  stop(): Promise<void>;
  /** Restarts a stopped member; resolves once it is healthy, which needs a quorum. */
  start(): Promise<void>;
}

export interface EtcdCluster {
  endpoints: string[];
  members: EtcdClusterMember[];
  /** Stops every member and removes all data. */
  stop(): Promise<void>;
}

const STARTUP_TIMEOUT_MS = 20_000;
const STOP_GRACE_MS = 5_000;
const BIND_ATTEMPTS = 3;

function etcdBinary(): string {
  return process.env.ETCD_BIN ?? "/usr/bin/etcd";
}

export { freePort, freePorts };

interface MemberSpec {
  name: string;
  clientPort: number;
  peerPort: number;
  dataDir: string;
  /** name=peerURL,... for every member. */
  initialCluster: string;
  clusterToken: string;
  /** etcd's --max-txn-ops; the tests' default allows large multis (README). */
  maxTxnOps: number;
  /** Client URLs over TLS with these certificates. */
  tls?: TestCertificates;
  /** With tls: require client certificates (--client-cert-auth). */
  clientCertAuth?: boolean;
  extraArgs?: string[];
}

const clientUrl = (spec: { clientPort: number; tls?: TestCertificates }) => `${spec.tls ? "https" : "http"}://127.0.0.1:${spec.clientPort}`;
const peerUrl = (spec: { peerPort: number }) => `http://127.0.0.1:${spec.peerPort}`;

/** One etcd process; start() may be called again after stop() (same ports and data). */
class Member {
  proc: Tracked | undefined;

  constructor(readonly spec: MemberSpec) {}

  get endpoint(): string {
    return clientUrl(this.spec);
  }

  get running(): boolean {
    return this.proc !== undefined && !this.proc.exited();
  }

  /** Spawns etcd without waiting; ready() waits for it. */
  spawn(): void {
    const s = this.spec;
    const args = [
      `--name=${s.name}`,
      `--data-dir=${s.dataDir}`,
      `--listen-client-urls=${clientUrl(s)}`,
      `--advertise-client-urls=${clientUrl(s)}`,
      `--listen-peer-urls=${peerUrl(s)}`,
      `--initial-advertise-peer-urls=${peerUrl(s)}`,
      `--initial-cluster=${s.initialCluster}`,
      `--initial-cluster-token=${s.clusterToken}`,
      "--initial-cluster-state=new",
      "--logger=zap",
      "--log-level=warn",
      `--max-txn-ops=${s.maxTxnOps}`,
      "--log-outputs=stderr",
      ...(s.tls
        ? [
            `--cert-file=${s.tls.serverCertFile}`,
            `--key-file=${s.tls.serverKeyFile}`,
            // etcd asks for client certificates whenever it has a CA to check them with.
            ...(s.clientCertAuth ? [`--trusted-ca-file=${s.tls.caFile}`, "--client-cert-auth"] : []),
          ]
        : []),
      ...(s.extraArgs ?? []),
    ];
    this.proc = spawnTracked(etcdBinary(), args);
  }

  /** Resolves when /health says true; rejects if etcd exits or the timeout passes. */
  async ready(timeoutMs = STARTUP_TIMEOUT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const { tls } = this.spec;
    const get = tls ? tlsFetch({ ca: tls.ca, cert: tls.clientCert, key: tls.clientKey }) : fetch;
    while (Date.now() < deadline && this.running) {
      try {
        const res = await get(`${this.endpoint}/health`, { signal: AbortSignal.timeout(1000) });
        const body = (await res.json()) as { health?: string };
        if (body.health === "true") return;
      } catch {
        // not listening yet, or no leader yet
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(
      `etcd ${this.spec.name} did not become healthy at ${this.endpoint}` +
        `${this.running ? "" : " (it exited; ETCD_BIN names the etcd binary)"}.\nOutput:\n${this.proc?.output() ?? ""}`,
    );
  }

  /** True when a failed start was a port clash, worth retrying on other ports. */
  bindClash(): boolean {
    return /address already in use/i.test(this.proc?.output() ?? "");
  }

  async kill(): Promise<void> {
    await this.proc?.stop(STOP_GRACE_MS);
  }
}

/** Starts n members as one cluster under `root`, retrying on fresh ports after a port race. */
async function startMembers(root: string, n: number, maxTxnOps = 10_000, extra: Pick<MemberSpec, "tls" | "clientCertAuth" | "extraArgs"> = {}): Promise<Member[]> {
  let lastError: unknown;
  for (let attempt = 0; attempt < BIND_ATTEMPTS; attempt++) {
    const token = `zk-etcd-${process.pid}-${Date.now()}-${attempt}`;
    const ports = await freePorts(2 * n);
    const specs = Array.from({ length: n }, (_, i) => {
      const name = `${path.basename(root)}-${i}`;
      const dataDir = path.join(root, `${name}-${attempt}`);
      return { name, clientPort: ports[2 * i]!, peerPort: ports[2 * i + 1]!, dataDir, clusterToken: token, maxTxnOps, ...extra };
    });
    const initialCluster = specs.map((s) => `${s.name}=${peerUrl(s)}`).join(",");
    const members = specs.map((s) => new Member({ ...s, initialCluster }));
    members.forEach((m) => m.spawn());
    try {
      await Promise.all(members.map((m) => m.ready()));
      return members;
    } catch (e) {
      lastError = e;
      await Promise.all(members.map((m) => m.kill()));
      if (!members.some((m) => m.bindClash())) break;
    }
  }
  throw lastError;
}

export interface StartEtcdOptions {
  maxTxnOps?: number;
  /** Serve clients over TLS with these certificates. */
  tls?: TestCertificates;
  /** With tls: require a client certificate (--client-cert-auth). Default true. */
  clientCertAuth?: boolean;
  /** --auth-token-ttl: how long an idle auth token (the default "simple" kind) lives. */
  authTokenTtlSeconds?: number;
}

/** Starts a single-member etcd on loopback. */
export async function startEtcd(opts: StartEtcdOptions = {}): Promise<EtcdServer> {
  const root = await mkdtemp(path.join(os.tmpdir(), "etcd-test-"));
  const extraArgs = opts.authTokenTtlSeconds === undefined ? [] : [`--auth-token-ttl=${opts.authTokenTtlSeconds}`];
  try {
    const [member] = (await startMembers(root, 1, opts.maxTxnOps, { tls: opts.tls, clientCertAuth: opts.clientCertAuth ?? true, extraArgs })) as [Member];
    let stopped: Promise<void> | undefined;
    return {
      endpoint: member.endpoint,
      tls: opts.tls,
      clientPort: member.spec.clientPort,
      dataDir: member.spec.dataDir,
      pid: () => member.proc?.child.pid,
      stop: () =>
        (stopped ??= (async () => {
          await member.kill();
          await rm(root, { recursive: true, force: true });
        })()),
    };
  } catch (e) {
    await rm(root, { recursive: true, force: true });
    throw e;
  }
}

/** Starts an n-member etcd cluster on loopback; members can be stopped and restarted. */
export async function startEtcdCluster(n = 3): Promise<EtcdCluster> {
  const root = await mkdtemp(path.join(os.tmpdir(), "etcd-cluster-"));
  try {
    const members = await startMembers(root, n);
    let stopped: Promise<void> | undefined;
    return {
      endpoints: members.map((m) => m.endpoint),
      members: members.map((m) => ({
        name: m.spec.name,
        endpoint: m.endpoint,
        clientPort: m.spec.clientPort,
        dataDir: m.spec.dataDir,
        stop: () => m.kill(),
        start: async () => {
          // With a data dir in place etcd rejoins from it and ignores --initial-cluster.
          if (!m.running) m.spawn();
          await m.ready();
        },
      })),
      stop: () =>
        (stopped ??= (async () => {
          await Promise.all(members.map((m) => m.kill()));
          await rm(root, { recursive: true, force: true });
        })()),
    };
  } catch (e) {
    await rm(root, { recursive: true, force: true });
    throw e;
  }
}

const execFileAsync = promisify(execFile);

/** Runs Debian's etcdctl (etcd-client; $ETCDCTL_BIN overrides) against `server`, as `user` ("name:password") when given. */
export async function etcdctl(server: EtcdServer, args: string[], user?: string): Promise<string> {
  const tls = server.tls ? [`--cacert=${server.tls.caFile}`, `--cert=${server.tls.clientCertFile}`, `--key=${server.tls.clientKeyFile}`] : [];
  const { stdout } = await execFileAsync(process.env.ETCDCTL_BIN ?? "etcdctl", [`--endpoints=${server.endpoint}`, ...tls, ...(user ? [`--user=${user}`] : []), ...args], {
    env: { ...process.env, ETCDCTL_API: "3" },
  });
  return stdout;
}

/**
 * Turns on etcd authentication: a root user (etcd requires one first) with
 * `rootPassword`, then `auth enable`. Later etcdctl calls need `root:<password>`.
 */
export async function enableAuth(server: EtcdServer, rootPassword: string): Promise<void> {
  await etcdctl(server, ["user", "add", `root:${rootPassword}`]);
  await etcdctl(server, ["user", "grant-role", "root", "root"]).catch(async () => {
    // etcd 3.4 has no root role until someone adds it.
    await etcdctl(server, ["role", "add", "root"]);
    await etcdctl(server, ["user", "grant-role", "root", "root"]);
  });
  await etcdctl(server, ["auth", "enable"]);
}

/** A user whose one role may read and write [prefix, prefixEnd) and nothing else. */
export async function addPrefixUser(server: EtcdServer, root: string, user: string, password: string, prefix: string): Promise<void> {
  await etcdctl(server, ["role", "add", user], root);
  await etcdctl(server, ["role", "grant-permission", user, "readwrite", "--prefix=true", prefix], root);
  await etcdctl(server, ["user", "add", `${user}:${password}`], root);
  await etcdctl(server, ["user", "grant-role", user, user], root);
}

/** A fetch that reaches `server`: trusting its test CA and presenting the client certificate when it has TLS. */
export function fetchFor(server: EtcdServer): typeof fetch {
  const { tls } = server;
  return tls ? tlsFetch({ ca: tls.ca, cert: tls.clientCert, key: tls.clientKey }) : fetch;
}

/**
 * Waits until every auth token of `user` last used before this call has
 * expired (--auth-token-ttl). etcd renews a token each time it is used, so
 * each probe is a token made after the client's last call and checked only
 * once: when one has expired, so has every older idle one.
 */
export async function tokensExpired(server: EtcdServer, user: string, password: string): Promise<void> {
  const post = (path: string, body: unknown, token?: string) =>
    fetchFor(server)(`${server.endpoint}${path}`, { method: "POST", headers: token ? { authorization: token } : {}, body: JSON.stringify(body) }).then((r) => r.text());
  for (let probes = 0; probes < 20; probes++) {
    const { token } = JSON.parse(await post("/v3/auth/authenticate", { name: user, password })) as { token: string };
    await new Promise((r) => setTimeout(r, 2500));
    const answer = await post("/v3/kv/range", { key: Buffer.from(`probe-${probes}`).toString("base64") }, token);
    if (answer.includes("invalid auth token")) return;
  }
  throw new Error(`no auth token of ${user} expired: does etcd run with --auth-token-ttl?`);
}
