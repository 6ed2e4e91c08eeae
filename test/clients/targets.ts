// The two servers the real clients run against, each restartable on the same
// port with its state: a real ZooKeeper 3.8 (data dir kept) and the front door
// (the Node service's ZooKeeper listener, on a real one-member etcd that can
// itself be stopped and started).
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startEtcdCluster } from "../support/etcd-server.js";
import { freePorts, spawnTracked, type Tracked } from "../support/process.js";
import { fourLetterWord, javaBinary, quietJvmArgs, zooKeeperClasspath } from "../support/zookeeper-server.js";

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const READY_TIMEOUT_MS = 60_000;

export interface Target {
  name: "zookeeper" | "front door";
  /** "127.0.0.1:PORT" for the clients. */
  connectString: string;
  port: number;
  /** Kills the server (SIGKILL: nothing is flushed or closed politely) and starts it again on the same port and state. */
  restart(): Promise<void>;
  /** The server's own output, for failure messages. */
  output(): string;
  stop(): Promise<void>;
  /** The front door's etcd, stopped and started again with its data (a ZooKeeper has no such thing). */
  etcd?: { stop(): Promise<void>; start(): Promise<void> };
}

/** SIGKILL: the process gets no chance to close its connections or flush anything. */
async function kill(proc: Tracked): Promise<void> {
  proc.child.kill("SIGKILL");
  await proc.stop(); // waits for the exit
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: "127.0.0.1", port });
    sock.once("connect", () => {
      sock.destroy();
      resolve(true);
    });
    sock.once("error", () => resolve(false));
  });
}

async function waitUntil(what: string, proc: () => Tracked, ok: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (proc().exited()) throw new Error(`${what} exited before it was ready:\n${proc().output()}`);
    if (await ok().catch(() => false)) return;
    await sleep(100);
  }
  throw new Error(`${what} was not ready after ${READY_TIMEOUT_MS} ms:\n${proc().output()}`);
}

/**
 * A standalone ZooKeeper 3.8 whose restart keeps its port and data dir, so
 * sessions survive it as they survive a ZooKeeper restart in production.
 * (test/support's startZooKeeper removes its dir on stop, hence this one.)
 */
export async function zooKeeperTarget(): Promise<Target> {
  const root = await mkdtemp(path.join(os.tmpdir(), "zk-clients-"));
  const dataDir = path.join(root, "data");
  await mkdir(dataDir);
  const [port] = (await freePorts(1)) as [number];
  const cfg = path.join(root, "zoo.cfg");
  await writeFile(
    cfg,
    [
      "tickTime=2000",
      `dataDir=${dataDir}`,
      `clientPort=${port}`,
      "clientPortAddress=127.0.0.1",
      "maxClientCnxns=0",
      "admin.enableServer=false",
      "4lw.commands.whitelist=*",
      "extendedTypesEnabled=true",
      "forceSync=no",
      "preAllocSize=4096",
    ].join("\n") + "\n",
  );
  let proc!: Tracked;
  const start = async () => {
    proc = spawnTracked(javaBinary(), [
      ...quietJvmArgs(),
      "-Dzookeeper.admin.enableServer=false",
      "-Dzookeeper.4lw.commands.whitelist=*",
      "-Dzookeeper.extendedTypesEnabled=true",
      "-cp",
      zooKeeperClasspath(),
      "org.apache.zookeeper.server.ZooKeeperServerMain",
      cfg,
    ]);
    // `srvr` answers with a Mode only once requests are served.
    await waitUntil("ZooKeeper", () => proc, async () => /^Mode: /m.test(await fourLetterWord(port, "srvr", 1000)));
  };
  await start();
  return {
    name: "zookeeper",
    connectString: `127.0.0.1:${port}`,
    port,
    async restart() {
      await kill(proc);
      await start();
    },
    output: () => proc.output(),
    async stop() {
      await proc.stop();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** The Node service (`functions/node.ts`) with its ZooKeeper listener, on a real etcd. */
export async function frontDoorTarget(): Promise<Target> {
  // A one-member cluster: its member can be stopped and started again on the same port and data.
  const etcd = await startEtcdCluster(1);
  const member = etcd.members[0]!;
  const [port, httpPort] = (await freePorts(2)) as [number, number];
  const env = {
    ...process.env,
    ETCD_ENDPOINTS: member.endpoint,
    HOST: "127.0.0.1",
    PORT: String(httpPort),
    ZK_CLIENT_PORT: String(port),
    ZK_ALLOW_ANONYMOUS: "true",
  };
  let proc!: Tracked;
  const start = async () => {
    // One process (no npx/tsx wrapper in between), so a kill reaches the server itself.
    proc = spawnTracked(process.execPath, ["--import", "tsx", "functions/node.ts"], { cwd: REPO, env });
    await waitUntil("the service", () => proc, async () => {
      const health = await fetch(`http://127.0.0.1:${httpPort}/healthz`, { signal: AbortSignal.timeout(1000) });
      return health.ok && (await accepts(port));
    });
  };
  await start();
  return {
    name: "front door",
    connectString: `127.0.0.1:${port}`,
    port,
    async restart() {
      await kill(proc);
      await start();
    },
    output: () => proc.output(),
    async stop() {
      await proc.stop();
      await etcd.stop();
    },
    etcd: { stop: () => member.stop(), start: () => member.start() },
  };
}
