// The Worker as workerd runs it: functions/worker.ts bundled the way wrangler
// would (platform neutral, workerd/worker/browser conditions), in memory.
import { build } from "esbuild";

/** No later than the workerd that Miniflare ships knows (TOOLCHAIN.md). */
export const COMPATIBILITY_DATE = "2026-04-26";

/** A Worker script bundled as wrangler would: platform neutral, workerd/worker/browser conditions, in memory. */
export async function bundleForWorkerd(entry: string): Promise<string> {
  const out = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    platform: "neutral",
    format: "esm",
    target: "es2022",
    conditions: ["workerd", "worker", "browser"],
    mainFields: ["browser", "module", "main"],
    logLevel: "silent",
  });
  return out.outputFiles[0]!.text;
}

export function bundleWorker(): Promise<string> {
  return bundleForWorkerd(new URL("../../functions/worker.ts", import.meta.url).pathname);
}
