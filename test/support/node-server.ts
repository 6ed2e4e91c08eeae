// The Node server as `npm run serve` runs it (tsx functions/node.ts), in its
// own process on a free loopback port, for tests that need a real HTTP stack
// (and the console's screenshot script). Resolves once /healthz answers 200.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, spawnTracked, type Tracked } from "./process.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const STARTUP_TIMEOUT_MS = 60_000;

export interface NodeServer {
  /** http://127.0.0.1:PORT */
  url: string;
  port: number;
  proc: Tracked;
  stop(): Promise<void>;
}

export async function startNodeServer(vars: Record<string, string>): Promise<NodeServer> {
  const port = await freePort();
  const proc = spawnTracked(path.join(ROOT, "node_modules/.bin/tsx"), ["functions/node.ts"], {
    cwd: ROOT,
    env: { ...process.env, HOST: "127.0.0.1", PORT: String(port), ZK_SCHEDULE_INTERVAL_MS: "3600000", ...vars },
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  for (;;) {
    if (proc.exited()) throw new Error(`the Node server exited:\n${proc.output()}`);
    const up = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) }).then((r) => r.ok, () => false);
    if (up) break;
    if (Date.now() > deadline) {
      await proc.stop();
      throw new Error(`the Node server did not answer /healthz with 200 on ${url} within 60 s:\n${proc.output()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, port, proc, stop: () => proc.stop() };
}
