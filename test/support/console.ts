// What the web console's test and its screenshot script share besides the
// Node server (node-server.ts): Debian's Chromium driven by playwright-core,
// which downloads nothing when given an executablePath.
import { chromium, type Browser } from "playwright-core";

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
