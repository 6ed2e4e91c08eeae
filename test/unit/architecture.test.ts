// The layering the project relies on, checked over the source text: lib/ is
// free of HTTP and of import cycles (type imports included), only the gRPC
// transport touches the etcd3 package, and nothing points outside the
// repository. Cheap to keep true, easy to break without noticing.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const rel = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sources(rel));
    else if (rel.endsWith(".ts")) out.push(rel);
  }
  return out;
}

const read = (rel: string) => fs.readFileSync(path.join(root, rel), "utf8");

/** The specifiers a file imports or re-exports, `import type` included. */
function imports(rel: string): string[] {
  return [...read(rel).matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s+["']([^"']+)["']/gms)].map((m) => m[1]!);
}

/** A relative specifier as a path from the root (".js" names the ".ts" source). */
function resolve(from: string, spec: string): string {
  return path.normalize(path.join(path.dirname(from), spec.replace(/\.js$/, ".ts")));
}

/** Every cycle a depth-first walk meets, each as the files around it. */
export function cycles(graph: Map<string, string[]>): string[][] {
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const found: string[][] = [];
  const visit = (n: string) => {
    state.set(n, "open");
    stack.push(n);
    for (const d of graph.get(n) ?? []) {
      if (state.get(d) === "open") found.push([...stack.slice(stack.indexOf(d)), d]);
      else if (!state.has(d)) visit(d);
    }
    stack.pop();
    state.set(n, "done");
  };
  for (const n of graph.keys()) if (!state.has(n)) visit(n);
  return found;
}

const lib = sources("lib");

describe("lib/", () => {
  test("has no import cycle", () => {
    const graph = new Map(lib.map((f) => [f, imports(f).filter((s) => s.startsWith(".")).map((s) => resolve(f, s))]));
    expect(cycles(graph).map((c) => c.join(" -> "))).toEqual([]);
  });

  test("the cycle finder finds a cycle (so the test above can fail)", () => {
    const graph = new Map([["a", ["b"]], ["b", ["c"]], ["c", ["a"]], ["d", ["a"]]]);
    expect(cycles(graph)).toEqual([["a", "b", "c", "a"]]);
  });

  test("imports nothing from functions/ or scheduled/", () => {
    const outward = lib.flatMap((f) => imports(f).filter((s) => s.startsWith(".")).map((s) => `${f} -> ${resolve(f, s)}`)).filter((e) => !e.split(" -> ")[1]!.startsWith("lib/"));
    expect(outward).toEqual([]);
  });

  test("speaks ZooKeeper and etcd, not the service's HTTP API", () => {
    const http = /\/v1\/|ZK-Session|ZK-Zxid|ZK-Stat|Retry-After|\b(?:40[0-9]|41[0-5]|50[34])\b (?:status|response)/;
    expect(lib.filter((f) => http.test(read(f)))).toEqual([]);
  });

  test("only the gRPC transport uses the etcd3 package, and neither transport imports the other", () => {
    expect(lib.filter((f) => imports(f).includes("etcd3"))).toEqual(["lib/etcd/grpc.ts"]);
    expect(imports("lib/etcd/grpc.ts").filter((s) => s.includes("gateway"))).toEqual([]);
    expect(imports("lib/etcd/gateway.ts").filter((s) => s.includes("grpc"))).toEqual([]);
  });
});

describe("zkwire/ (ZooKeeper's protocol)", () => {
  test("builds on lib/ alone: nothing from functions/ (HTTP) or scheduled/", () => {
    const files = sources("zkwire");
    const outward = files.flatMap((f) => imports(f).filter((s) => s.startsWith(".")).map((s) => `${f} -> ${resolve(f, s)}`)).filter((e) => !/ -> (lib|zkwire)\//.test(e));
    expect(files.length).toBeGreaterThan(0);
    expect(outward).toEqual([]);
  });
});

test("nothing in the repository points outside it (../shared)", () => {
  const files = ["lib", "functions", "scheduled", "scripts", "test", "docs", "zkwire"]
    .filter((d) => fs.existsSync(path.join(root, d)))
    .flatMap((d) => sourcesAndDocs(d))
    .concat(["README.md"])
    .filter((f) => f !== "test/unit/architecture.test.ts");
  expect(files.filter((f) => /\.\.\/shared\b/.test(read(f)))).toEqual([]);
});

function sourcesAndDocs(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const rel = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourcesAndDocs(rel));
    else if (/\.(ts|md)$/.test(rel)) out.push(rel);
  }
  return out;
}
