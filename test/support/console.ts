// What the web console's test and its screenshot script share: the Node
// server as a real process (functions/node.ts under tsx, as `npm run serve`
// runs it) and Debian's Chromium driven by playwright-core, which downloads
// nothing when given an executablePath.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser } from "playwright-core";
import { freePort, spawnTracked, type Tracked } from "./process.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export interface NodeServer {
  /** http://127.0.0.1:PORT */
  url: string;
  process: Tracked;
  stop(): Promise<void>;
}

/** functions/node.ts on a free loopback port; resolves once /healthz answers 200. */
export async function startNodeServer(etcdEndpoint: string, vars: Record<string, string> = {}): Promise<NodeServer> {
  const port = await freePort();
  const proc = spawnTracked(path.join(root, "node_modules/.bin/tsx"), ["functions/node.ts"], {
    cwd: root,
    env: { ...process.env, ETCD_ENDPOINTS: etcdEndpoint, PORT: String(port), HOST: "127.0.0.1", ZK_SCHEDULE_INTERVAL_MS: "3600000", ...vars },
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (proc.exited()) throw new Error(`the Node server exited:\n${proc.output()}`);
    const ok = await fetch(`${url}/healthz`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) {
      await proc.stop();
      throw new Error(`the Node server did not answer /healthz within 60 s:\n${proc.output()}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { url, process: proc, stop: () => proc.stop() };
}

/** Headless Chromium, quiet: no first-run work, no background requests of its own. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_BIN ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

/** Basic credentials as the API takes them. */
export function basic(user: string, password: string): string {
  return "Basic " + Buffer.from(`${user}:${password}`).toString("base64");
}
