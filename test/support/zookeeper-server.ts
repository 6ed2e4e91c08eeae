// Test helper: run a real, throwaway Apache ZooKeeper standalone server.
//
// Used by differential / compatibility tests that compare our HTTP service
// against the reference implementation. Each call to startZooKeeper() gets a
// fresh data dir (fs.mkdtemp), a free loopback port and its own JVM.
//
// Classpath discovery (first match wins):
//   1. $ZOOKEEPER_CLASSPATH, used verbatim.
//   2. $ZOOKEEPER_HOME (or $ZK_HOME) with an Apache tarball layout:
//      lib/*.jar (+ zookeeper-*.jar at the top level).
//   3. Debian/Ubuntu packaging: /usr/share/java/zookeeper.jar. Its manifest
//      carries a Class-Path to jute/netty/slf4j-api/..., but we list the core
//      jars explicitly anyway so the JVM does not depend on that manifest.
// An slf4j binding is appended (slf4j-simple at WARN, else slf4j-nop) so the
// server is quiet and does not print the "no binding" warning.

import { existsSync, readdirSync } from "node:fs";
import { mkdtemp, rm, writeFile, mkdir } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { freePort, spawnTracked } from "./process.js";

export interface StartZooKeeperOptions {
  tickTime?: number;
  minSessionTimeout?: number;
  maxSessionTimeout?: number;
  /** Extra zoo.cfg lines (key=value); unknown keys become `zookeeper.<key>` system properties. */
  extraConfig?: Record<string, string | number | boolean>;
  /** Extra JVM arguments, e.g. ["-Dznode.container.checkIntervalMs=1000"] to reap containers/TTL nodes quickly. */
  jvmArgs?: string[];
}

export interface ZooKeeperServerHandle {
  /** "127.0.0.1:PORT" */
  connectString: string;
  port: number;
  dataDir: string;
  stop(): Promise<void>;
}

const DEBIAN_JAVA_DIR = "/usr/share/java";

// Jars the Debian zookeeper.jar needs at runtime for a standalone server
// (and for org.apache.zookeeper.ZooKeeperMain). Missing ones are skipped.
const DEBIAN_JARS = [
  "zookeeper.jar",
  "zookeeper-jute.jar",
  "slf4j-api.jar",
  "netty-buffer.jar",
  "netty-codec.jar",
  "netty-common.jar",
  "netty-handler.jar",
  "netty-resolver.jar",
  "netty-transport.jar",
  "netty-transport-native-epoll.jar",
  "netty-transport-native-unix-common.jar",
  "commons-cli.jar",
  "commons-io.jar",
  "metrics-core.jar",
  "snappy-java.jar",
  "jackson-annotations.jar",
  "jackson-core.jar",
  "jackson-databind.jar",
  "jline.jar",
];

function slf4jBinding(dir: string): string[] {
  for (const name of ["slf4j-simple.jar", "slf4j-nop.jar"]) {
    const p = path.join(dir, name);
    if (existsSync(p)) return [p];
  }
  return [];
}

function jarsIn(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(".jar"))
    .map((f) => path.join(dir, f));
}

/** Finds a classpath that can run ZooKeeperServerMain / ZooKeeperMain. */
export function zooKeeperClasspath(): string {
  const explicit = process.env.ZOOKEEPER_CLASSPATH;
  if (explicit) return explicit;

  const home = process.env.ZOOKEEPER_HOME ?? process.env.ZK_HOME;
  if (home) {
    const jars = [...jarsIn(home).filter((j) => /zookeeper-[^/]*\.jar$/.test(j)), ...jarsIn(path.join(home, "lib"))];
    if (jars.length > 0) {
      // Tarball lib/ ships logback; keep it but make it quiet via system props.
      return jars.join(path.delimiter);
    }
  }

  if (existsSync(path.join(DEBIAN_JAVA_DIR, "zookeeper.jar"))) {
    const jars = DEBIAN_JARS.map((j) => path.join(DEBIAN_JAVA_DIR, j)).filter((p) => existsSync(p));
    return [...jars, ...slf4jBinding(DEBIAN_JAVA_DIR)].join(path.delimiter);
  }

  throw new Error(
    "ZooKeeper jars not found: set ZOOKEEPER_CLASSPATH or ZOOKEEPER_HOME, or install the Debian 'zookeeper' package",
  );
}

export function javaBinary(): string {
  if (process.env.JAVA) return process.env.JAVA;
  if (process.env.JAVA_HOME) return path.join(process.env.JAVA_HOME, "bin", "java");
  return "java";
}

/** JVM flags: fast start, small heap, quiet logging. */
export function quietJvmArgs(): string[] {
  return [
    "-Xms32m",
    "-Xmx256m",
    "-XX:+UseSerialGC",
    "-XX:TieredStopAtLevel=1",
    "-Xshare:auto",
    "-Djava.net.preferIPv4Stack=true",
    // slf4j-simple
    "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
    "-Dorg.slf4j.simpleLogger.logFile=System.err",
    // logback (tarball layout) / log4j fallbacks
    "-Dzookeeper.root.logger=WARN,CONSOLE",
    "-Dzookeeper.console.threshold=WARN",
    "-Dzookeeper.jmx.log4j.disable=true",
  ];
}

/** Sends a four-letter-word command and returns the full reply. */
export async function fourLetterWord(port: number, cmd: string, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: "127.0.0.1", port });
    let out = "";
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`4lw ${cmd} timed out`));
    }, timeoutMs);
    sock.setEncoding("utf8");
    sock.on("connect", () => sock.write(cmd));
    sock.on("data", (d: string) => (out += d));
    sock.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    sock.on("close", () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}

export async function startZooKeeper(opts: StartZooKeeperOptions = {}): Promise<ZooKeeperServerHandle> {
  const tickTime = opts.tickTime ?? 2000;
  const root = await mkdtemp(path.join(os.tmpdir(), "zk-test-"));
  const dataDir = path.join(root, "data");
  await mkdir(dataDir, { recursive: true });

  const startupTimeoutMs = 30_000;
  let lastError: unknown;
  // Retry a couple of times in case another process grabs the port between
  // freePort() and the JVM binding it.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const cfgLines = [
      `tickTime=${tickTime}`,
      `dataDir=${dataDir}`,
      `clientPort=${port}`,
      `clientPortAddress=127.0.0.1`,
      `maxClientCnxns=0`,
      `admin.enableServer=false`,
      `4lw.commands.whitelist=*`,
      `extendedTypesEnabled=true`,
      `forceSync=no`,
      `preAllocSize=4096`,
      `autopurge.purgeInterval=0`,
    ];
    if (opts.minSessionTimeout !== undefined) cfgLines.push(`minSessionTimeout=${opts.minSessionTimeout}`);
    if (opts.maxSessionTimeout !== undefined) cfgLines.push(`maxSessionTimeout=${opts.maxSessionTimeout}`);
    for (const [k, v] of Object.entries(opts.extraConfig ?? {})) cfgLines.push(`${k}=${v}`);
    const cfgPath = path.join(root, "zoo.cfg");
    await writeFile(cfgPath, cfgLines.join("\n") + "\n");

    const args = [
      ...quietJvmArgs(),
      // Also as system properties, in case the cfg keys are not forwarded.
      "-Dzookeeper.admin.enableServer=false",
      "-Dzookeeper.4lw.commands.whitelist=*",
      "-Dzookeeper.extendedTypesEnabled=true",
      ...(opts.jvmArgs ?? []),
      "-cp",
      zooKeeperClasspath(),
      "org.apache.zookeeper.server.ZooKeeperServerMain",
      cfgPath,
    ];
    const proc = spawnTracked(javaBinary(), args, { cwd: root });

    const deadline = Date.now() + startupTimeoutMs;
    let ready = false;
    while (Date.now() < deadline && !proc.exited()) {
      try {
        // `ruok` answers "imok" as soon as the connection factory listens,
        // which is before the ZooKeeperServer is serving; `srvr` reports
        // "Mode: standalone" only once requests are actually served.
        if (
          (await fourLetterWord(port, "ruok", 1000)).trim() === "imok" &&
          /^Mode: /m.test(await fourLetterWord(port, "srvr", 1000))
        ) {
          ready = true;
          break;
        }
      } catch {
        /* not listening yet */
      }
      await new Promise((r) => setTimeout(r, 100));
    }

    if (ready) {
      let stopped: Promise<void> | undefined;
      const stop = (): Promise<void> => (stopped ??= proc.stop().then(() => rm(root, { recursive: true, force: true })));
      return { connectString: `127.0.0.1:${port}`, port, dataDir, stop };
    }

    await proc.stop(0);
    const spawnFailed = /ENOENT|EACCES/.test(proc.output()) && proc.child.pid === undefined;
    lastError = new Error(`ZooKeeper did not become ready on port ${port}.\nOutput:\n${proc.output()}`);
    if (spawnFailed) break; // e.g. java missing: retrying won't help
    if (!/Address already in use|BindException/.test(proc.output())) break;
  }
  await rm(root, { recursive: true, force: true });
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}
