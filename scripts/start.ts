// `npm start`: the Worker under `wrangler dev` (workerd), on a local etcd.
//
// - ETCD_ENDPOINTS unset: starts /usr/bin/etcd (or $ETCD_BIN) on loopback with
//   its data in .data/etcd, kept across runs (client port 2379 when free).
//   When etcd is missing, installs Debian's etcd-server if running as root,
//   else says what to install and exits 1.
// - Runs `wrangler dev` on 127.0.0.1:$PORT (default 8787) with anonymous
//   callers allowed (local use only; wrangler.toml leaves them refused).
// - Fires the cron trigger every minute, as Cloudflare would: wrangler dev
//   does not, so this calls its /__scheduled endpoint.
// - Ctrl-C / SIGTERM stops wrangler (and workerd), then etcd.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, openSync, closeSync, readFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const HOST = "127.0.0.1";
const CRON = "* * * * *";
const DATA_DIR = path.join(ROOT, ".data", "etcd");
const ETCD_LOG = path.join(ROOT, ".data", "etcd.log");
const STOP_GRACE_MS = 10_000;
/** Service settings passed from this environment to the Worker as `--var`s (names from lib/config.ts). */
const PASSED_VARS = [
  "ETCD_USER",
  "ETCD_PASSWORD",
  "ZK_PREFIX",
  "ZK_MAX_DATA_BYTES",
  "ZK_TICK_TIME_MS",
  "ZK_MIN_SESSION_TIMEOUT_MS",
  "ZK_MAX_SESSION_TIMEOUT_MS",
  "ZK_API_CREDENTIALS",
] as const;

const log = (message: string) => console.log(`[start] ${message}`);
const fail = (message: string): never => {
  console.error(`[start] ${message}`);
  process.exit(1);
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---- ports ----

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once("error", () => resolve(false));
    srv.listen(port, HOST, () => srv.close(() => resolve(true)));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, HOST, () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === "object" ? resolve(addr.port) : reject(new Error("no free port"))));
    });
  });
}

// ---- child processes ----

interface Child {
  name: string;
  proc: ChildProcess;
  exited: Promise<number | null>;
  done: boolean;
}

const children: Child[] = [];

/** Each child leads its own process group, so a stop reaches its descendants (workerd) too. */
function start(name: string, command: string, args: string[], options: { env?: NodeJS.ProcessEnv; stdio: ("ignore" | "inherit" | number)[] }): Child {
  const proc = spawn(command, args, { cwd: ROOT, env: options.env ?? process.env, stdio: options.stdio, detached: true });
  const child: Child = { name, proc, done: false, exited: Promise.resolve(null) };
  child.exited = new Promise((resolve) => {
    proc.once("error", (e) => {
      console.error(`[start] ${name}: ${e.message}`);
      child.done = true;
      resolve(null);
    });
    proc.once("exit", (code, signal) => {
      child.done = true;
      resolve(code ?? (signal ? 128 : null));
    });
  });
  children.push(child);
  return child;
}

function signalGroup(child: Child, signal: NodeJS.Signals): void {
  if (child.done || child.proc.pid === undefined) return;
  try {
    process.kill(-child.proc.pid, signal);
  } catch {
    // already gone
  }
}

async function stop(child: Child): Promise<void> {
  if (child.done) return;
  signalGroup(child, "SIGTERM");
  const timedOut = await Promise.race([child.exited.then(() => false), sleep(STOP_GRACE_MS).then(() => true)]);
  if (timedOut) {
    log(`${child.name} did not stop within ${STOP_GRACE_MS / 1000} s; killing it`);
    signalGroup(child, "SIGKILL");
    await child.exited;
  }
  // Descendants that outlived their leader (a process group member left behind).
  if (child.proc.pid !== undefined) {
    try {
      process.kill(-child.proc.pid, "SIGKILL");
    } catch {
      // none left
    }
  }
}

// Last resort if this process ends without a clean stop.
process.on("exit", () => {
  for (const child of children) signalGroup(child, "SIGKILL");
});

// ---- etcd ----

function etcdBinary(): string {
  const configured = process.env.ETCD_BIN;
  if (configured) {
    if (!existsSync(configured)) fail(`ETCD_BIN=${configured} does not exist.`);
    return configured;
  }
  const bin = "/usr/bin/etcd";
  if (existsSync(bin)) return bin;
  const hint =
    "Install etcd 3.4 or later, then run npm start again:\n" +
    "  sudo apt-get install -y etcd-server      # Debian/Ubuntu: provides /usr/bin/etcd\n" +
    "or use another etcd binary:   ETCD_BIN=/path/to/etcd npm start\n" +
    "or use a running etcd:        ETCD_ENDPOINTS=http://127.0.0.1:2379 npm start";
  if (process.getuid?.() !== 0) fail(`etcd is not installed (${bin} is missing).\n${hint}`);
  if (spawnSync("apt-get", ["--version"], { stdio: "ignore" }).status !== 0) fail(`etcd is not installed (${bin} is missing) and apt-get is not available.\n${hint}`);
  log(`etcd is not installed (${bin} is missing); running as root, so installing it: apt-get install -y etcd-server`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const install = () => spawnSync("apt-get", ["install", "-y", "etcd-server"], { stdio: "inherit", env }).status === 0;
  if (!install()) {
    log("apt-get install failed; refreshing the package lists (apt-get update) and trying again");
    spawnSync("apt-get", ["update"], { stdio: "inherit", env });
    if (!install()) fail(`could not install etcd-server.\n${hint}`);
  }
  if (!existsSync(bin)) fail(`etcd-server is installed but ${bin} is still missing.\n${hint}`);
  return bin;
}

function logTail(lines = 30): string {
  try {
    return readFileSync(ETCD_LOG, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

async function startEtcd(): Promise<{ endpoint: string; child: Child }> {
  const bin = etcdBinary();
  mkdirSync(DATA_DIR, { recursive: true });
  const clientPort = (await canListen(2379)) ? 2379 : await freePort();
  const peerPort = await freePort();
  const client = `http://${HOST}:${clientPort}`;
  const peer = `http://${HOST}:${peerPort}`;
  // A data dir from an earlier run keeps the data; etcd then ignores the --initial-* flags.
  const args = [
    "--name=zk-local",
    `--data-dir=${DATA_DIR}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=zk-local=${peer}`,
    "--initial-cluster-state=new",
    "--logger=zap",
    "--log-level=warn",
    "--log-outputs=stderr",
    // A multi over many znodes is one txn of up to seven ops per znode (README).
    "--max-txn-ops=10000",
  ];
  const out = openSync(ETCD_LOG, "a");
  const child = start("etcd", bin, args, { stdio: ["ignore", out, out] });
  closeSync(out);
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && !child.done) {
    try {
      const res = await fetch(`${client}/health`, { signal: AbortSignal.timeout(1000) });
      if (((await res.json()) as { health?: string }).health === "true") return { endpoint: client, child };
    } catch {
      // not up yet
    }
    await sleep(100);
  }
  await stop(child);
  return fail(`etcd did not become healthy at ${client}${child.done ? " (it exited)" : ""}. Last lines of ${path.relative(ROOT, ETCD_LOG)}:\n${logTail()}`);
}

// ---- main ----

let stopping = false;
let cronTimer: NodeJS.Timeout | undefined;

async function shutdown(code: number, why: string): Promise<never> {
  if (stopping) return new Promise<never>(() => {});
  stopping = true;
  if (cronTimer) clearTimeout(cronTimer);
  log(`${why}; stopping`);
  // The Worker first, so nothing reaches etcd while it stops.
  for (const child of [...children].reverse()) {
    await stop(child);
    log(`${child.name} stopped`);
  }
  process.exit(code);
}

let firstSignalAt = 0;
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(signal, () => {
    if (!firstSignalAt) {
      firstSignalAt = Date.now();
      void shutdown(0, signal);
    } else if (Date.now() - firstSignalAt > 2000) {
      // Ctrl-C again while stopping: no more waiting. (One Ctrl-C may arrive more
      // than once, relayed by npm and tsx: those copies come within the window.)
      for (const child of children) signalGroup(child, "SIGKILL");
      process.exit(1);
    }
  });
}

/** Fires the cron trigger at each minute boundary, as `* * * * *` would. */
function scheduleCron(base: string): void {
  const fire = async () => {
    try {
      const res = await fetch(`${base}/__scheduled?cron=${CRON.replaceAll(" ", "+")}`, { signal: AbortSignal.timeout(55_000) });
      await res.text();
      if (!res.ok) log(`cron run answered ${res.status}`);
    } catch (e) {
      if (!stopping) log(`cron run failed: ${(e as Error).message}`);
    }
  };
  const next = () => {
    if (stopping) return;
    cronTimer = setTimeout(() => {
      void fire();
      next();
    }, 60_000 - (Date.now() % 60_000));
  };
  next();
}

async function main(): Promise<void> {
  const port = Number(process.env.PORT ?? 8787);
  if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`PORT must be a TCP port number, not ${JSON.stringify(process.env.PORT)}`);
  if (!(await canListen(port))) fail(`port ${port} on ${HOST} is in use; choose another with PORT=<port> npm start`);

  let endpoints = process.env.ETCD_ENDPOINTS;
  const localEtcd = !endpoints;
  if (!endpoints) {
    const etcd = await startEtcd();
    endpoints = etcd.endpoint;
    log(`etcd ready at ${endpoints} (data in ${path.relative(ROOT, DATA_DIR)}, log in ${path.relative(ROOT, ETCD_LOG)})`);
    void etcd.child.exited.then((code) => {
      if (!stopping) {
        console.error(`[start] etcd exited unexpectedly (code ${code}). Last lines of its log:\n${logTail()}`);
        void shutdown(1, "etcd exited");
      }
    });
  }
  if (stopping) return;

  const vars = [`ETCD_ENDPOINTS:${endpoints}`, `ZK_ALLOW_ANONYMOUS:${process.env.ZK_ALLOW_ANONYMOUS ?? "true"}`];
  for (const name of PASSED_VARS) {
    const value = process.env[name];
    if (value !== undefined && value !== "") vars.push(`${name}:${value}`);
  }
  const wranglerBin = path.join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");
  if (!existsSync(wranglerBin)) return void shutdown(1, "wrangler is not installed (run npm ci)");
  const args = [
    wranglerBin,
    "dev",
    "--ip", HOST,
    "--port", String(port),
    "--inspector-port", "0",
    "--test-scheduled",
    "--show-interactive-dev-session=false",
    ...vars.flatMap((v) => ["--var", v]),
  ];
  const env = {
    ...process.env,
    WRANGLER_SEND_METRICS: "false",
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
    WRANGLER_HIDE_BANNER: "true",
    XDG_CONFIG_HOME: path.join(ROOT, ".config"),
  };
  const wrangler = start("wrangler", process.execPath, args, { env, stdio: ["ignore", "inherit", "inherit"] });
  void wrangler.exited.then((code) => {
    if (!stopping) void shutdown(code || 1, `wrangler exited (code ${code})`);
  });

  // Ready once the Worker answers /healthz (through etcd).
  const base = `http://${HOST}:${port}`;
  const deadline = Date.now() + 60_000;
  let status = 0;
  while (!stopping && Date.now() < deadline) {
    try {
      const res = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(5000) });
      await res.text();
      status = res.status;
      if (status === 200 || (!localEtcd && status === 503)) break;
    } catch {
      // wrangler not listening yet
    }
    await sleep(200);
  }
  if (stopping) return;
  if (status === 0) return void shutdown(1, `the Worker did not answer ${base}/healthz within 60 s`);
  if (status !== 200) log(`warning: ${base}/healthz answers ${status}: etcd at ${endpoints} is not reachable`);
  scheduleCron(base);
  console.log(
    `\nZooKeeper on etcd (Worker under wrangler dev) ready at ${base}\n` +
      `  etcd ${endpoints}${localEtcd ? " (local, data kept in .data/etcd)" : ""}\n` +
      `  anonymous callers ${vars[1] === "ZK_ALLOW_ANONYMOUS:true" ? "allowed (local use)" : "refused"}; cron "${CRON}" fired each minute\n` +
      `  try: curl ${base}/v1/znodes/\n  Ctrl-C to stop\n`,
  );
}

main().catch((e) => {
  console.error(e);
  void shutdown(1, "start failed");
});
