// The recipes sit on the client's public API only (as kazoo's recipes sit on
// KazooClient): nothing in recipes/ reaches into client internals, the
// service's lib/ or functions/, or a Node-only module, so the recipes run
// wherever the client runs (Node 20 and Workers).
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const dir = path.join(root, "recipes");
const files = fs.readdirSync(dir).filter((f) => f.endsWith(".ts"));

function specifiers(file: string): string[] {
  const text = fs.readFileSync(path.join(dir, file), "utf8");
  return [...text.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s+["']([^"']+)["']/gms)].map((m) => m[1]!);
}

test("recipes/ imports only itself and the client's public entry", () => {
  expect(files.length).toBeGreaterThan(5);
  const outside = files.flatMap((f) => specifiers(f).filter((s) => !/^\.\/[\w-]+\.js$/.test(s) && s !== "../client/index.js").map((s) => `${f}: ${s}`));
  expect(outside).toEqual([]);
});

test("recipes/ uses no Node-only globals", () => {
  const nodeOnly = /\b(?:Buffer|process|require|__dirname|setImmediate)\b/;
  expect(files.filter((f) => nodeOnly.test(fs.readFileSync(path.join(dir, f), "utf8").replace(/\/\/.*$/gm, "")))).toEqual([]);
});
