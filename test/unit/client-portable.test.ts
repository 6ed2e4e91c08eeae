// The client must run unchanged in a Worker: fetch, web streams and Web Crypto
// only. A Node built-in or global slipping into client/ would break it there
// (test/client/worker.test.ts runs it in workerd; this names the culprit).
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { backoffMs } from "../../client/retry.js";

const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../client");

describe("client/", () => {
  test("uses no Node-only module or global", () => {
    const offences: string[] = [];
    for (const f of fs.readdirSync(dir).filter((f) => f.endsWith(".ts"))) {
      const code = fs
        .readFileSync(path.join(dir, f), "utf8")
        .replace(/\/\*[\s\S]*?\*\//g, "")
        .replace(/\/\/.*$/gm, "");
      for (const m of code.matchAll(/from\s+["']([^"']+)["']/g)) if (!m[1]!.startsWith("./")) offences.push(`${f}: imports ${m[1]}`);
      for (const g of ["Buffer", "process", "require(", "__dirname", "setImmediate"]) if (code.includes(g)) offences.push(`${f}: uses ${g}`);
    }
    expect(offences).toEqual([]);
  });
});

describe("backoffMs", () => {
  const policy = { retries: 5, baseDelayMs: 100, maxDelayMs: 2000 };
  test("is a random wait up to base·2^attempt, capped", () => {
    expect(backoffMs(policy, 0, () => 0.999999)).toBe(99);
    expect(backoffMs(policy, 3, () => 0.5)).toBe(400);
    expect(backoffMs(policy, 10, () => 0.999999)).toBe(1999);
    expect(backoffMs(policy, 60, () => 0)).toBe(0);
  });
});
