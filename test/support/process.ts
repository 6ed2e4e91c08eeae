// Child processes of the test servers (etcd, ZooKeeper): free loopback ports,
// output kept for error messages, and nothing left running when the runner exits.
import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import net from "node:net";

/** Loopback ports that were free a moment ago, all distinct (nothing listens on them once this resolves). */
export async function freePorts(count: number): Promise<number[]> {
  // Held open together so the OS cannot hand out one port twice.
  const servers = Array.from({ length: count }, () => net.createServer());
  try {
    return await Promise.all(
      servers.map(
        (srv) =>
          new Promise<number>((resolve, reject) => {
            srv.on("error", reject);
            srv.listen(0, "127.0.0.1", () => resolve((srv.address() as net.AddressInfo).port));
          }),
      ),
    );
  } finally {
    await Promise.all(servers.map((srv) => new Promise((resolve) => srv.close(resolve))));
  }
}

/** A loopback port that was free a moment ago (nothing listens on it once this resolves). */
export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  return port!;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

export interface Tracked {
  child: ChildProcess;
  /** The last 32–64 KB the process wrote, and any spawn error. */
  output(): string;
  exited(): boolean;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it is gone. */
  stop(graceMs?: number): Promise<void>;
}

export function spawnTracked(bin: string, args: string[], opts: SpawnOptions = {}): Tracked {
  const child = spawn(bin, args, { ...opts, stdio: ["ignore", "pipe", "pipe"] });
  live.add(child);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // Best effort: never leave servers behind if the test runner exits abruptly.
    process.on("exit", () => {
      for (const c of live) c.kill("SIGKILL");
    });
  }
  let output = "";
  let exited = false;
  const collect = (d: Buffer) => {
    output += d.toString();
    if (output.length > 64_000) output = output.slice(-32_000);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  child.on("error", (e) => {
    output += `\n${e.message}`;
    exited = true;
    live.delete(child);
  });
  child.on("exit", () => {
    exited = true;
    live.delete(child);
  });
  return {
    child,
    output: () => output,
    exited: () => exited,
    async stop(graceMs = 5000) {
      if (exited) return;
      child.kill("SIGTERM");
      if (!(await waitForExit(child, graceMs))) {
        child.kill("SIGKILL");
        await waitForExit(child, graceMs);
      }
    },
  };
}

function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off("exit", onExit);
      resolve(false);
    }, ms);
    const onExit = () => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once("exit", onExit);
  });
}
