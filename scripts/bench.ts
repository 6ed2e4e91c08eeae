// `npm run bench`: throughput and latency of the HTTP API, beside raw etcd and
// beside a real ZooKeeper, on this machine, in this run (docs/design.md).
//
//   npm run bench -- [--seconds 3] [--clients 16] [--worker] [--wrangler] [--floor] [--ops a,b] [--json] [--max-ops 100000]
//
// Starts its own etcd (loopback, temp dir), a real ZooKeeper 3.8 (loopback,
// temp dir) and the service's Node server as `npm run serve` runs it: its own
// process on a free loopback port, so the load generator does not share its
// thread (--in-process puts it in this process; --profile DIR profiles it). Stops
// them all at the end, on error and on SIGINT/SIGTERM.
//
// For each op (create, getData, exists, getChildren, setData, delete, multi,
// multiOneParent; --ops picks some) it
// drives three targets in turn with the same number of concurrent clients, each
// for `--seconds` and at most `--max-ops` operations:
//   service    the HTTP API over keep-alive connections (one per client);
//   etcd       the closest single etcd call, through one etcd3 (gRPC) client:
//              put (create, setData), get (getData, exists), prefix range
//              keys-only (getChildren), delete, a txn compare+2 puts (multi),
//              a txn of 3 puts (multiOneParent);
//   zookeeper  node-zookeeper-client, one session per client;
//   frontdoor  the same client and sessions against the service's ZooKeeper
//              protocol listener (zkwire/, docs/wire.md): a second server
//              process with ZK_CLIENT_PORT, on its own key prefix;
//   worker     with --worker, the Worker under workerd (Miniflare);
//   wrangler   with --wrangler, the Worker under wrangler dev, as npm start
//              runs it; either adds raw etcd's JSON gateway (gateway);
//   floor      with --floor, raw etcd's calls behind a bare node:http server
//              in its own process (bench-floor.ts): the ceiling, on this
//              machine, for an HTTP layer that makes one etcd call per request.
// It prints one table (ops/s, p50, p99 per target and the throughput ratios),
// the etcd round trips per op that the service reports at GET /v1/stats, and
// the machine. Nothing here asserts on timing: it only reports.
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { serve } from "@hono/node-server";
import type { Etcd3 } from "etcd3";
import { Miniflare } from "miniflare";
import { createApp } from "../functions/app.js";
import { configFrom } from "../lib/config.js";
import { createGatewayEtcd } from "../lib/etcd/gateway.js";
import { createGrpcEtcd } from "../lib/etcd/grpc.js";
import type { Etcd } from "../lib/etcd/types.js";
import { startEtcd, type EtcdServer } from "../test/support/etcd-server.js";
import { startZkServer } from "../zkwire/server.js";
import { freePort } from "../test/support/process.js";
import { bundleWorker, COMPATIBILITY_DATE } from "../test/support/worker.js";
import { fourLetterWord, startZooKeeper, type ZooKeeperServerHandle } from "../test/support/zookeeper-server.js";
import { CHILDREN, DATA, OPS, rawEtcdClient, rawEtcdOps, REQUEST_TIMEOUT_MS, type Op, type OpName } from "./raw-etcd.js";

// ---- options ----

const USAGE = `usage: npm run bench -- [--seconds N] [--clients N] [--in-process [--transport grpc|gateway]] [--json] [--max-ops N]
  --seconds N      measured seconds per op and target (default 3)
  --clients N      concurrent clients (default 16)
  --in-process     run the service in this process (one thread with the load) instead of as npm run serve does
  --profile DIR    write a CPU profile of each server process to DIR (node --cpu-prof), for chrome://inspect or scripts/profile-summary.ts
  --transport T    with --in-process, the service's etcd transport: grpc or gateway (default grpc)
  --json           print the results as JSON (progress still goes to stderr)
  --max-ops N      at most N operations per op and target (default 100000)
  --ops A,B,...    only these ops (default all: ${OPS.join(",")})
  --worker         also the Worker under workerd (Miniflare, no wrangler proxy) beside raw etcd's JSON gateway
  --wrangler       also the Worker as npm start runs it (wrangler dev: its local proxy and workerd) beside raw etcd's JSON gateway
  --floor          also raw etcd's calls behind a bare node:http server in its own process (scripts/bench-floor.ts):
                   what an HTTP layer costs before doing any work: the most one making an etcd call per request can reach`;

function parseOptions() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        seconds: { type: "string", default: "3" },
        clients: { type: "string", default: "16" },
        transport: { type: "string", default: "grpc" },
        json: { type: "boolean", default: false },
        worker: { type: "boolean", default: false },
        wrangler: { type: "boolean", default: false },
        floor: { type: "boolean", default: false },
        "in-process": { type: "boolean", default: false },
        profile: { type: "string" },
        "max-ops": { type: "string", default: "100000" },
        ops: { type: "string", default: OPS.join(",") },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    console.error(`${(e as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const num = (name: string, raw: string, min: number, max: number, integer: boolean): number => {
    const n = Number(raw);
    if (raw.trim() === "" || !Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
      console.error(`--${name} must be ${integer ? "an integer" : "a number"} in [${min}, ${max}], not ${JSON.stringify(raw)}\n${USAGE}`);
      process.exit(2);
    }
    return n;
  };
  const transport = values.transport;
  if (transport !== "grpc" && transport !== "gateway") {
    console.error(`--transport must be grpc or gateway, not ${JSON.stringify(transport)}\n${USAGE}`);
    process.exit(2);
  }
  if (transport !== "grpc" && !values["in-process"]) {
    console.error(`--transport ${transport} needs --in-process: the Node server (npm run serve) speaks gRPC to etcd\n${USAGE}`);
    process.exit(2);
  }
  return {
    seconds: num("seconds", values.seconds, 0.1, 600, false),
    clients: num("clients", values.clients, 1, 1024, true),
    maxOps: num("max-ops", values["max-ops"], 1, 10_000_000, true),
    transport: transport as "grpc" | "gateway",
    json: values.json,
    ops: opsOf(values.ops),
    worker: values.worker,
    wrangler: values.wrangler,
    floor: values.floor,
    inProcess: values["in-process"],
    profile: values.profile,
  };
}

function opsOf(raw: string): OpName[] {
  const ops = raw.split(",").map((o) => o.trim());
  const unknown = ops.filter((o) => !(OPS as readonly string[]).includes(o));
  if (unknown.length > 0 || ops.length === 0) {
    console.error(`--ops takes names from ${OPS.join(", ")}, not ${JSON.stringify(unknown.join(","))}\n${USAGE}`);
    process.exit(2);
  }
  return OPS.filter((o) => ops.includes(o));
}

const opts = parseOptions();
const log = (message: string) => console.error(`[bench] ${message}`);

// ---- bounds ----

/** The whole run, setup included; past this it stops everything and exits 1. */
const RUN_LIMIT_MS = opts.ops.length * (4 + (opts.worker ? 2 : 0) + (opts.wrangler ? 2 : 0) + (opts.floor ? 1 : 0)) * (opts.seconds * 1000 + 2 * REQUEST_TIMEOUT_MS) + 180_000;
const WARMUP_OPS_PER_CLIENT = 20;
const DATA_B64 = DATA.toString("base64");

// ---- node-zookeeper-client (untyped CommonJS: the little used here, typed here) ----

type ZkCallback<T> = (error: Error | null, result: T) => void;
interface ZkTransaction {
  create(path: string, data?: Buffer): ZkTransaction;
  setData(path: string, data: Buffer, version?: number): ZkTransaction;
  check(path: string, version?: number): ZkTransaction;
  commit(callback: ZkCallback<unknown>): void;
}
interface ZkClient {
  connect(): void;
  close(): void;
  once(event: "connected", listener: () => void): void;
  create(path: string, data: Buffer, callback: ZkCallback<string>): void;
  create(path: string, data: Buffer, mode: number, callback: ZkCallback<string>): void;
  getData(path: string, callback: ZkCallback<Buffer>): void;
  exists(path: string, callback: ZkCallback<unknown>): void;
  getChildren(path: string, callback: ZkCallback<string[]>): void;
  setData(path: string, data: Buffer, version: number, callback: ZkCallback<unknown>): void;
  remove(path: string, version: number, callback: ZkCallback<void>): void;
  transaction(): ZkTransaction;
}
interface ZkModule {
  CreateMode: { PERSISTENT_SEQUENTIAL: number };
  createClient(connectString: string, options?: { sessionTimeout?: number; spinDelay?: number; retries?: number }): ZkClient;
}
const zookeeper = createRequire(import.meta.url)("node-zookeeper-client") as ZkModule;

// ---- helpers ----


/** Rejects when `p` takes longer than `ms` (the work itself may go on). */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

function zkCall<T>(what: string, start: (cb: ZkCallback<T>) => void): Promise<T> {
  return within(
    new Promise<T>((resolve, reject) => start((error, result) => (error ? reject(error) : resolve(result)))),
    REQUEST_TIMEOUT_MS,
    what,
  );
}

// ---- HTTP client: keep-alive, one connection per concurrent client ----

let agent: http.Agent | undefined;
let baseUrl = "";

function httpCall(method: string, path: string, expect: number, body?: unknown, base = baseUrl): Promise<string> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${base}${path}`,
      {
        method,
        agent,
        headers: payload === undefined ? {} : { "content-type": "application/json", "content-length": Buffer.byteLength(payload) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (d: Buffer) => chunks.push(d));
        res.on("error", reject);
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString();
          if (res.statusCode === expect) resolve(text);
          else reject(new Error(`${method} ${path}: ${res.statusCode} ${text.slice(0, 200)}`));
        });
      },
    );
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`${method} ${path}: no answer within ${REQUEST_TIMEOUT_MS} ms`)));
    req.on("error", reject);
    req.end(payload);
  });
}

// ---- the measuring loop ----

interface Measured {
  /** Operations that succeeded (the latencies are theirs). */
  ops: number;
  errors: number;
  firstError?: string;
  seconds: number;
  opsPerSec: number;
  p50: number;
  p90: number;
  p99: number;
  /** Why it ended before the time was up, if it did. */
  note?: string;
  /** CPU time per successful op, in µs: of the etcd server, of this process (the load, and the service --in-process), and of the server process. */
  etcdCpuUs?: number;
  processCpuUs?: number;
  serverCpuUs?: number;
  /** etcd txns the service sent per successful op (shared reads count once). */
  txnPerOp?: number;
  /** The Worker's: CPU µs per op of workerd (Miniflare), or of wrangler dev's processes. */
  workerdCpuUs?: number;
}

/** A process and every process below it, by /proc. */
function treePids(root: number | undefined): number[] {
  if (root === undefined) return [];
  const parents = new Map<number, number>();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      // /proc/<pid>/stat: the parent's pid is the second field after the command's ")".
      parents.set(Number(d), Number(readFileSync(`/proc/${d}/stat`, "utf8").split(") ")[1]!.split(" ")[1]));
    } catch {
      // gone meanwhile
    }
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) for (const [pid, parent] of parents) if (parent === tree[i]) tree.push(pid);
  return tree;
}

/** wrangler dev's processes (its Node process, its proxy and workerd), when --wrangler runs it. */
let wranglerTree: number[] = [];

/** The workerd processes Miniflare runs, by /proc (not wrangler's). */
function workerdPids(): number[] {
  try {
    return readdirSync("/proc")
      .filter((d) => /^\d+$/.test(d))
      .filter((d) => {
        try {
          return readFileSync(`/proc/${d}/comm`, "utf8").trim() === "workerd" && !wranglerTree.includes(Number(d));
        } catch {
          return false;
        }
      })
      .map(Number);
  } catch {
    return [];
  }
}

function workerdCpuMs(): number {
  return treeCpuMs(workerdPids());
}

function treeCpuMs(pids: number[]): number {
  return pids.reduce((sum, pid) => sum + cpuMsOf(pid), 0);
}

/** Resident memory of several processes together, MiB (one gone meanwhile counts 0). */
function rssMiBOfAll(pids: number[]): number {
  return pids.reduce((sum, pid) => sum + (rssMiBOf(pid) || 0), 0);
}

/** CPU time (user + system) a process has used, in ms; NaN when it cannot be read. */
function cpuMsOf(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    // /proc/<pid>/stat: utime and stime are fields 14 and 15, in clock ticks (100 per second on Linux).
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return NaN;
  }
}

/** The etcd txns the service has sent so far (GET /v1/stats). */
async function serviceTxns(): Promise<number> {
  const stats = JSON.parse(await httpCall("GET", "/v1/stats", 200)) as { etcdRoundTrips: { txn: number } };
  return stats.etcdRoundTrips.txn;
}

let aborted = false;

function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** `clients` loops, each with one operation outstanding, until `seconds` pass or `maxOps` are issued. */
async function drive(clients: number, seconds: number, maxOps: number, op: Op): Promise<Measured> {
  const latencies = new Float64Array(maxOps);
  let issued = 0;
  let ok = 0;
  let errors = 0;
  let firstError: string | undefined;
  let exhausted = false;
  const start = performance.now();
  const deadline = start + seconds * 1000;
  const loop = async (client: number) => {
    while (!aborted && !exhausted && issued < maxOps && performance.now() < deadline) {
      issued++;
      const t0 = performance.now();
      try {
        if ((await op(client)) === "exhausted") {
          exhausted = true;
          break;
        }
        latencies[ok++] = performance.now() - t0;
      } catch (e) {
        errors++;
        firstError ??= (e as Error).message ?? String(e);
      }
    }
  };
  await Promise.all(Array.from({ length: clients }, (_, c) => loop(c)));
  const elapsedMs = performance.now() - start;
  const sorted = latencies.subarray(0, ok).sort();
  return {
    ops: ok,
    errors,
    firstError,
    seconds: elapsedMs / 1000,
    opsPerSec: ok / (elapsedMs / 1000),
    p50: percentile(sorted, 0.5),
    p90: percentile(sorted, 0.9),
    p99: percentile(sorted, 0.99),
    note: exhausted ? "ran out of nodes to delete" : issued >= maxOps ? `stopped at --max-ops ${maxOps}` : undefined,
  };
}

// ---- the three targets: the same ops, each through its own client ----

/** The name the service gives each op in /v1/stats. */
const STATS_NAME: Record<OpName, string> = {
  create: "create",
  getData: "getData",
  exists: "exists",
  getChildren: "getChildren2",
  setData: "setData",
  delete: "delete",
  multi: "multi",
  multiOneParent: "multi",
  sequentialOneParent: "create",
  setDataOneNode: "setData",
};

interface Target {
  name: "service" | "etcd" | "zookeeper" | "worker" | "wrangler" | "gateway" | "frontdoor" | "floor";
  /** Untimed: the parents, one data node per client, the children. */
  setup(): Promise<void>;
  /** Nodes create made that delete may remove. */
  created: number[];
  ops: Record<OpName, Op>;
}

/**
 * Names: create makes `<c>/n-<i>` under one parent; delete removes those it
 * made; getData/exists/setData use one node per client; getChildren lists a
 * parent with CHILDREN children; multi creates `<m>/n-<i>`, sets the
 * client's node and checks the children's parent is at version 0;
 * multiOneParent creates three children of one parent `<p>` in one multi,
 * every client under the same parent; sequentialOneParent creates sequential
 * children of one parent `<s>`; setDataOneNode sets one node `<hot>` with
 * version -1 from every client (the cases that contend).
 */
function serviceTarget(clients: number, name: "service" | "worker" | "wrangler" = "service", base = baseUrl): Target {
  const call = (method: string, path: string, expect: number, body?: unknown) => httpCall(method, path, expect, body, base);
  const z = (p: string) => `/v1/znodes/bench${p}`;
  /** Names made by create and not yet deleted. */
  const created: number[] = [];
  let names = 0;
  return {
    name,
    created,
    async setup() {
      for (const p of ["", "/c", "/d", "/kids", "/m", "/p", "/s", "/hot"]) await call("POST", z(p), 201, {});
      for (let c = 0; c < clients; c++) await call("POST", z(`/d/k-${c}`), 201, { data: DATA_B64 });
      for (let i = 0; i < CHILDREN; i++) await call("POST", z(`/kids/child-${i}`), 201, {});
    },
    ops: {
      create: async () => {
        const n = names++;
        await call("POST", z(`/c/n-${n}`), 201, { data: DATA_B64 });
        created.push(n);
      },
      getData: async (c) => void (await call("GET", z(`/d/k-${c}`), 200)),
      exists: async (c) => void (await call("GET", `${z(`/d/k-${c}`)}?view=stat`, 200)),
      getChildren: async () => void (await call("GET", `${z("/kids")}?view=children`, 200)),
      setData: async (c) => void (await call("PUT", z(`/d/k-${c}`), 200, { data: DATA_B64 })),
      delete: async () => {
        const n = created.pop();
        if (n === undefined) return "exhausted";
        await call("DELETE", z(`/c/n-${n}`), 204);
      },
      multi: async (c) =>
        void (await call("POST", "/v1/multi", 200, {
          ops: [
            { op: "create", path: `/bench/m/n-${names++}`, data: DATA_B64 },
            { op: "setData", path: `/bench/d/k-${c}`, data: DATA_B64 },
            { op: "check", path: "/bench/kids", version: 0 },
          ],
        })),
      multiOneParent: async () =>
        void (await call("POST", "/v1/multi", 200, {
          ops: [0, 1, 2].map(() => ({ op: "create", path: `/bench/p/n-${names++}`, data: DATA_B64 })),
        })),
      sequentialOneParent: async () => void (await call("POST", z("/s/n-"), 201, { data: DATA_B64, mode: "persistent_sequential" })),
      setDataOneNode: async () => void (await call("PUT", z("/hot"), 200, { data: DATA_B64 })),
    },
  };
}

function etcdTarget(client: Etcd3, clients: number): Target {
  const raw = rawEtcdOps(client, clients, "bench-raw");
  return { name: "etcd", created: raw.created, setup: raw.setup, ops: raw.ops };
}

/**
 * Raw etcd's calls behind a bare HTTP server in its own process
 * (bench-floor.ts): the service's HTTP path with no work of its own. The
 * requests carry the service's bodies, so parsing costs alike.
 */
function floorTarget(base: string): Target {
  const call = (op: OpName, c: number, body?: unknown) => httpCall("POST", `/op/${op}/${c}`, 200, body, base);
  const data = { data: DATA_B64 };
  const created: number[] = [];
  const ops = Object.fromEntries(OPS.map((op) => [op, async (c: number) => void (await call(op, c, op.startsWith("get") || op === "exists" || op === "delete" ? undefined : data))])) as Record<OpName, Op>;
  // The floor server keeps its own list of what create made; delete says when it ran out.
  ops.delete = async (c) => ((await call("delete", c)) === "exhausted" ? "exhausted" : undefined);
  return { name: "floor", created, setup: async () => void (await httpCall("POST", "/setup", 200, undefined, base)), ops };
}

/**
 * Raw etcd through its JSON gateway, the Worker's way to etcd: the same
 * calls as etcdTarget, one HTTP request each over keep-alive connections.
 */
function gatewayTarget(endpoint: string, clients: number): Target {
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients, maxFreeSockets: clients });
  cleanups.push({ name: "the gateway agent", run: () => agent.destroy() });
  const b = (text: string) => Buffer.from(text).toString("base64");
  const k = (p: string) => b(`bench-gw${p}`);
  const post = (path: string, body: unknown) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const payload = JSON.stringify(body);
      const req = http.request(`${endpoint}${path}`, { method: "POST", agent, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(payload) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (d: Buffer) => chunks.push(d));
        res.on("error", reject);
        res.on("end", () => {
          const json = JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>;
          if (res.statusCode !== 200 || json.error) reject(new Error(`gateway ${path}: ${res.statusCode} ${JSON.stringify(json).slice(0, 200)}`));
          else resolve(json);
        });
      });
      req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`gateway ${path}: no answer within ${REQUEST_TIMEOUT_MS} ms`)));
      req.on("error", reject);
      req.end(payload);
    });
  const put = (key: string) => post("/v3/kv/put", { key, value: DATA_B64 });
  const created: number[] = [];
  let names = 0;
  const txnPuts = (keys: string[], compare: unknown[] = []) => post("/v3/kv/txn", { compare, success: keys.map((key) => ({ request_put: { key, value: DATA_B64 } })) });
  return {
    name: "gateway",
    created,
    async setup() {
      for (let c = 0; c < clients; c++) await put(k(`/d/k-${c}`));
      for (let i = 0; i < CHILDREN; i++) await post("/v3/kv/put", { key: k(`/kids/child-${i}`), value: "" });
      await post("/v3/kv/put", { key: k("/kids"), value: "" });
    },
    ops: {
      create: async () => {
        const n = names++;
        await put(k(`/c/n-${n}`));
        created.push(n);
      },
      getData: async (c) => {
        if (!(await post("/v3/kv/range", { key: k(`/d/k-${c}`) })).kvs) throw new Error("gateway get: no value");
      },
      exists: async (c) => {
        if (!(await post("/v3/kv/range", { key: k(`/d/k-${c}`), count_only: true })).count) throw new Error("gateway exists: no key");
      },
      getChildren: async () => {
        const prefix = `bench-gw/kids/`;
        const end = prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
        const res = await post("/v3/kv/range", { key: b(prefix), range_end: b(end), keys_only: true });
        if ((res.kvs as unknown[] | undefined)?.length !== CHILDREN) throw new Error("gateway getChildren: wrong count");
      },
      setData: async (c) => void (await put(k(`/d/k-${c}`))),
      delete: async () => {
        const n = created.pop();
        if (n === undefined) return "exhausted";
        await post("/v3/kv/deleterange", { key: k(`/c/n-${n}`) });
      },
      multi: async (c) => {
        const res = await txnPuts([k(`/m/n-${names++}`), k(`/d/k-${c}`)], [{ key: k("/kids"), target: 0, result: 0, version: "1" }]);
        if (!res.succeeded) throw new Error("gateway txn: compare failed");
      },
      multiOneParent: async () => void (await txnPuts([0, 1, 2].map(() => k(`/p/n-${names++}`)))),
      sequentialOneParent: async () => void (await put(k(`/s/n-${names++}`))),
      setDataOneNode: async () => void (await put(k("/hot"))),
    },
  };
}

function zookeeperTarget(sessions: ZkClient[], name: "zookeeper" | "frontdoor" = "zookeeper"): Target {
  /** Names made by create and not yet deleted. */
  const created: number[] = [];
  let names = 0;
  const zk = (c: number) => sessions[c % sessions.length]!;
  return {
    name,
    created,
    async setup() {
      const s = sessions[0]!;
      for (const p of ["/bench", "/bench/c", "/bench/d", "/bench/kids", "/bench/m", "/bench/p", "/bench/s", "/bench/hot"]) {
        await zkCall<string>("create", (cb) => s.create(p, Buffer.alloc(0), cb));
      }
      for (let c = 0; c < sessions.length; c++) await zkCall<string>("create", (cb) => s.create(`/bench/d/k-${c}`, DATA, cb));
      for (let i = 0; i < CHILDREN; i++) await zkCall<string>("create", (cb) => s.create(`/bench/kids/child-${i}`, Buffer.alloc(0), cb));
    },
    ops: {
      create: async (c) => {
        const n = names++;
        await zkCall<string>("create", (cb) => zk(c).create(`/bench/c/n-${n}`, DATA, cb));
        created.push(n);
      },
      getData: async (c) => void (await zkCall<Buffer>("getData", (cb) => zk(c).getData(`/bench/d/k-${c}`, cb))),
      exists: async (c) => {
        if (!(await zkCall<unknown>("exists", (cb) => zk(c).exists(`/bench/d/k-${c}`, cb)))) throw new Error("zookeeper exists: no node");
      },
      getChildren: async (c) => {
        const children = await zkCall<string[]>("getChildren", (cb) => zk(c).getChildren("/bench/kids", cb));
        if (children.length !== CHILDREN) throw new Error(`zookeeper getChildren: ${children.length} children`);
      },
      setData: async (c) => void (await zkCall<unknown>("setData", (cb) => zk(c).setData(`/bench/d/k-${c}`, DATA, -1, cb))),
      delete: async (c) => {
        const n = created.pop();
        if (n === undefined) return "exhausted";
        await zkCall<void>("remove", (cb) => zk(c).remove(`/bench/c/n-${n}`, -1, cb));
      },
      multi: async (c) =>
        void (await zkCall<unknown>("transaction", (cb) =>
          zk(c)
            .transaction()
            .create(`/bench/m/n-${names++}`, DATA)
            .setData(`/bench/d/k-${c}`, DATA, -1)
            .check("/bench/kids", 0)
            .commit(cb),
        )),
      multiOneParent: async (c) =>
        void (await zkCall<unknown>("transaction", (cb) =>
          zk(c)
            .transaction()
            .create(`/bench/p/n-${names++}`, DATA)
            .create(`/bench/p/n-${names++}`, DATA)
            .create(`/bench/p/n-${names++}`, DATA)
            .commit(cb),
        )),
      sequentialOneParent: async (c) =>
        void (await zkCall<string>("create", (cb) => zk(c).create("/bench/s/n-", DATA, zookeeper.CreateMode.PERSISTENT_SEQUENTIAL, cb))),
      setDataOneNode: async (c) => void (await zkCall<unknown>("setData", (cb) => zk(c).setData("/bench/hot", DATA, -1, cb))),
    },
  };
}

// ---- resources, and stopping them whatever happens ----

const cleanups: { name: string; run: () => Promise<void> | void }[] = [];
let cleaning: Promise<void> | undefined;

function cleanup(): Promise<void> {
  return (cleaning ??= (async () => {
    // Last acquired, first released: clients before the servers they talk to.
    for (const { name, run } of cleanups.reverse()) {
      try {
        await within(Promise.resolve().then(run), 15_000, `stopping ${name}`);
      } catch (e) {
        log(`stopping ${name}: ${(e as Error).message}`);
      }
    }
  })());
}

async function exit(code: number): Promise<never> {
  aborted = true;
  await cleanup();
  process.exit(code);
}

let signalled = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (signalled) return; // npm and tsx relay one Ctrl-C more than once
    signalled = true;
    log(`${signal}: stopping`);
    void exit(130);
  });
}

const watchdog = setTimeout(() => {
  log(`the run took longer than ${Math.round(RUN_LIMIT_MS / 1000)} s; stopping`);
  void exit(1);
}, RUN_LIMIT_MS);
watchdog.unref();

// ---- the service under test ----

/** The repository: the server processes' and wrangler's working directory. */
const REPO = fileURLToPath(new URL("..", import.meta.url));

/** The server processes' pids (unless --in-process): their CPU and memory are measured apart from this process's. */
let serverPids: { service: number; frontdoor: number } | undefined;
/** With --floor, the floor server's pid. */
let floorPid: number | undefined;

const where = () => (opts.inProcess ? `in this process over ${opts.transport}` : "as its own process (npm run serve), over grpc");

interface ServerProcess {
  url: string;
  zkPort?: number;
  pid: number;
}

/**
 * `npm run serve` with `vars`: node with tsx's loader, so the pid is the
 * server's own (the tsx command would be a parent process). Resolves once it
 * listens (and, with ZK_CLIENT_PORT, once the front door does).
 */
function startServerProcess(vars: Record<string, string>, script = "functions/node.ts"): Promise<ServerProcess> {
  const profile = opts.profile === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${path.resolve(opts.profile)}`];
  const child = spawn(process.execPath, [...profile, "--import", "tsx", script], {
    cwd: REPO,
    env: { ...process.env, PORT: "0", HOST: "127.0.0.1", ...vars },
    stdio: ["ignore", "pipe", "pipe"],
  });
  cleanups.push({
    name: `the server process ${child.pid}`,
    run: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  });
  let out = "";
  const tail = () => out.split("\n").slice(-10).join("\n");
  return within(
    new Promise<ServerProcess>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        out += chunk.toString();
        const http = /listening on (http:\/\/[^\s]+)/.exec(out);
        const zk = /listening for ZooKeeper clients on [^\s]+:(\d+)/.exec(out);
        if (http && (zk || vars.ZK_CLIENT_PORT === undefined)) resolve({ url: http[1]!, zkPort: zk ? Number(zk[1]) : undefined, pid: child.pid! });
      };
      child.stdout!.on("data", onData);
      // The server logs etcd's state to stderr; keep it for an error message only.
      child.stderr!.on("data", (chunk: Buffer) => (out += chunk.toString()));
      child.once("exit", (code, signal) => reject(new Error(`the server process exited (${signal ?? code}) before it listened:\n${tail()}`)));
    }),
    30_000,
    "starting the server process",
  ).catch((e: Error) => {
    throw new Error(`${e.message}\n${tail()}`);
  });
}

/**
 * The Worker as `npm start` runs it: `wrangler dev` (its local proxy in front
 * of workerd) on a free port, on its own key prefix, reaching etcd through the
 * gateway. Its processes are stopped as a group.
 */
async function startWrangler(endpoint: string): Promise<{ url: string }> {
  const port = await freePort();
  const bin = path.join(REPO, "node_modules", "wrangler", "bin", "wrangler.js");
  const vars = [`ETCD_ENDPOINTS:${endpoint}`, "ZK_ALLOW_ANONYMOUS:true", "ZK_PREFIX:benchwr/"];
  const args = [bin, "dev", "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", "0", "--show-interactive-dev-session=false", ...vars.flatMap((v) => ["--var", v])];
  const env = { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_HIDE_BANNER: "true", XDG_CONFIG_HOME: path.join(REPO, ".config") };
  const child = spawn(process.execPath, args, { cwd: REPO, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  cleanups.push({
    name: "wrangler dev",
    run: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once("exit", () => resolve());
        try {
          process.kill(-child.pid!, "SIGTERM");
        } catch {
          resolve();
        }
      }),
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited (${child.exitCode}):\n${out.slice(-2000)}`);
    const up = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(5000) }).then((r) => r.ok, () => false);
    if (up) break;
    if (Date.now() > deadline) throw new Error(`wrangler dev did not answer ${url}/healthz within 90 s:\n${out.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  wranglerTree = treePids(child.pid);
  log(`wrangler dev at ${url}: processes ${wranglerTree.join(", ")}`);
  return { url };
}

/** The service and the front door in this process, as they were measured before they had their own. */
async function startInProcess(serviceVars: Record<string, string>, doorVars: Record<string, string>): Promise<{ baseUrl: string; doorPort: number }> {
  const config = configFrom({ ...process.env, ...serviceVars });
  const etcdOptions = { endpoints: config.etcdEndpoints, maxTxnOps: config.etcdMaxTxnOps, readsInFlight: config.etcdReadsInFlight };
  const serviceEtcd: Etcd = opts.transport === "grpc" ? createGrpcEtcd(etcdOptions) : createGatewayEtcd(etcdOptions);
  cleanups.push({ name: "the service's etcd client", run: () => serviceEtcd.close() });
  const app = createApp({ config: () => config, etcd: () => serviceEtcd, clientIp: () => "127.0.0.1" });
  const server = await new Promise<http.Server>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, () => resolve(s as http.Server)) as http.Server;
    s.once("error", reject);
  });
  cleanups.push({
    name: "the service",
    run: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  });
  const door = await startZkServer({ config: configFrom({ ...process.env, ...doorVars }), etcd: serviceEtcd, port: 0 });
  cleanups.push({ name: "the front door", run: () => door.close() });
  return { baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, doorPort: door.port };
}

/** Resident memory of a process, MiB; NaN when it cannot be read. */
function rssMiBOf(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? NaN) / 1024;
  } catch {
    return NaN;
  }
}

// ---- main ----

interface Row {
  op: OpName;
  service: Measured;
  etcd: Measured;
  zookeeper: Measured;
  frontdoor: Measured;
  /** With --worker, --wrangler: the Worker's targets and raw etcd's JSON gateway. */
  worker?: Measured;
  wrangler?: Measured;
  gateway?: Measured;
  /** With --floor: raw etcd's calls behind a bare HTTP server. */
  floor?: Measured;
  serviceToEtcd: number;
  serviceToZookeeper: number;
  roundTripsPerOp: number | null;
}

async function main(): Promise<void> {
  const t0 = Date.now();
  log(`starting etcd and ZooKeeper (loopback, temp dirs)`);
  // Both at once; whichever starts is stopped even if the other fails.
  const [etcdStarted, zkStarted] = await Promise.allSettled([
    startEtcd().then((s) => (cleanups.push({ name: "etcd", run: () => s.stop() }), s)),
    // forceSync=yes is ZooKeeper's own default; etcd fsyncs every write too.
    startZooKeeper({ extraConfig: { forceSync: "yes" } }).then((s) => (cleanups.push({ name: "zookeeper", run: () => s.stop() }), s)),
  ]);
  if (etcdStarted.status === "rejected") throw etcdStarted.reason;
  if (zkStarted.status === "rejected") throw zkStarted.reason;
  const etcdServer: EtcdServer = etcdStarted.value;
  const zkServer: ZooKeeperServerHandle = zkStarted.value;
  if (aborted) return;

  // The service on a free loopback port; the front door on its own key prefix.
  const serviceVars = { ZK_ALLOW_ANONYMOUS: "true", ETCD_ENDPOINTS: etcdServer.endpoint, ZK_PREFIX: "bench/" };
  // Every session comes from this one address: no per-address bound (ZK_MAX_CLIENT_CNXNS).
  const doorVars = { ...serviceVars, ZK_PREFIX: "benchz/", ZK_MAX_CLIENT_CNXNS: "0" };
  let doorPort: number;
  if (opts.inProcess) {
    ({ baseUrl, doorPort } = await startInProcess(serviceVars, doorVars));
  } else {
    const service = await startServerProcess(serviceVars);
    const door = await startServerProcess({ ...doorVars, ZK_CLIENT_PORT: "0" });
    baseUrl = service.url;
    serverPids = { service: service.pid, frontdoor: door.pid };
    doorPort = door.zkPort!;
  }
  agent = new http.Agent({ keepAlive: true, maxSockets: opts.clients, maxFreeSockets: opts.clients });
  cleanups.push({ name: "the HTTP agent", run: () => agent?.destroy() });
  await httpCall("GET", "/healthz", 200);

  // Raw etcd: one gRPC client (the service keeps one too), without etcd3's retry
  // and breaker policies, as the service's (lib/etcd/grpc.ts).
  const raw = rawEtcdClient(etcdServer.endpoint);
  cleanups.push({ name: "the etcd3 client", run: () => raw.close() });

  // ZooKeeper: one session per client.
  const sessions: ZkClient[] = [];
  cleanups.push({ name: "the ZooKeeper sessions", run: () => sessions.forEach((s) => s.close()) });
  await Promise.all(
    Array.from({ length: opts.clients }, async () => {
      const s = zookeeper.createClient(zkServer.connectString, { sessionTimeout: 30_000, retries: 0 });
      sessions.push(s);
      await within(new Promise<void>((resolve) => (s.once("connected", resolve), s.connect())), 15_000, "ZooKeeper session");
    }),
  );

  const doorSessions: ZkClient[] = [];
  cleanups.push({ name: "the front door's sessions", run: () => doorSessions.forEach((s) => s.close()) });
  await Promise.all(
    Array.from({ length: opts.clients }, async () => {
      const s = zookeeper.createClient(`127.0.0.1:${doorPort}`, { sessionTimeout: 30_000, retries: 0 });
      doorSessions.push(s);
      await within(new Promise<void>((resolve) => (s.once("connected", resolve), s.connect())), 15_000, "front door session");
    }),
  );

  const targets = [serviceTarget(opts.clients), etcdTarget(raw, opts.clients), zookeeperTarget(sessions), zookeeperTarget(doorSessions, "frontdoor")];
  if (opts.worker) {
    // The Worker as workerd runs it, on its own key prefix, reaching etcd through the gateway.
    const mf = new Miniflare({
      modules: true,
      script: await bundleWorker(),
      compatibilityDate: COMPATIBILITY_DATE,
      bindings: { ETCD_ENDPOINTS: etcdServer.endpoint, ZK_ALLOW_ANONYMOUS: "true", ZK_PREFIX: "benchw/" },
      host: "127.0.0.1",
      port: 0,
    });
    cleanups.push({ name: "workerd", run: () => mf.dispose() });
    const url = await mf.ready;
    targets.push(serviceTarget(opts.clients, "worker", url.origin));
  }
  if (opts.wrangler) {
    const wrangler = await startWrangler(etcdServer.endpoint);
    targets.push(serviceTarget(opts.clients, "wrangler", wrangler.url));
  }
  if (opts.worker || opts.wrangler) targets.push(gatewayTarget(etcdServer.endpoint, opts.clients));
  if (opts.floor) {
    const floor = await startServerProcess({ ETCD_ENDPOINT: etcdServer.endpoint, CLIENTS: String(opts.clients) }, "scripts/bench-floor.ts");
    floorPid = floor.pid;
    targets.push(floorTarget(floor.url));
  }
  for (const t of targets) {
    await t.setup();
    // Untimed: connections open, code warm.
    await drive(opts.clients, 30, opts.clients * WARMUP_OPS_PER_CLIENT, t.ops.getData);
  }
  log(`ready in ${((Date.now() - t0) / 1000).toFixed(1)} s; ${opts.seconds} s per op and target, ${opts.clients} clients, service ${where()}`);
  // Resident memory once warm, to compare with the end of the run.
  const rssAtStart = { process: process.memoryUsage().rss / 2 ** 20, server: rssMiBOf(serverPids?.service), workerd: rssMiBOfAll(workerdPids()), wrangler: rssMiBOfAll(wranglerTree) };

  const results: Partial<Record<OpName, Record<Target["name"], Measured>>> = {};
  for (const op of opts.ops) {
    const byTarget = {} as Record<Target["name"], Measured>;
    for (const t of targets) {
      if (aborted) return;
      if (op === "delete") {
        // Untimed: delete usually outruns create, so give it more to delete,
        // creating for as long again as the create phase did (within --max-ops).
        await drive(opts.clients, opts.seconds, Math.max(1, opts.maxOps - t.created.length), t.ops.create);
      }
      const txnsBefore = t.name === "service" ? await serviceTxns() : NaN;
      const etcdCpuBefore = cpuMsOf(etcdServer.pid());
      const workerdCpuBefore = t.name === "wrangler" ? treeCpuMs(wranglerTree) : workerdCpuMs();
      const serverPid = t.name === "floor" ? floorPid : t.name === "service" || t.name === "frontdoor" ? serverPids?.[t.name] : undefined;
      const serverCpuBefore = cpuMsOf(serverPid);
      const processCpuBefore = process.cpuUsage();
      const m = await drive(opts.clients, opts.seconds, opts.maxOps, t.ops[op]);
      if (aborted) return;
      const processCpu = process.cpuUsage(processCpuBefore);
      m.etcdCpuUs = ((cpuMsOf(etcdServer.pid()) - etcdCpuBefore) * 1000) / m.ops;
      m.processCpuUs = (processCpu.user + processCpu.system) / m.ops;
      if (serverPid !== undefined) m.serverCpuUs = ((cpuMsOf(serverPid) - serverCpuBefore) * 1000) / m.ops;
      if (t.name === "worker") m.workerdCpuUs = ((workerdCpuMs() - workerdCpuBefore) * 1000) / m.ops;
      if (t.name === "wrangler") m.workerdCpuUs = ((treeCpuMs(wranglerTree) - workerdCpuBefore) * 1000) / m.ops;
      // The stats request itself is one more txn: not the load's.
      if (t.name === "service") m.txnPerOp = ((await serviceTxns()) - txnsBefore - 1) / m.ops;
      byTarget[t.name] = m;
      log(
        `${op.padEnd(11)} ${t.name.padEnd(9)} ${fmtRate(m.opsPerSec).padStart(8)} ops/s  p50 ${fmtMs(m.p50)} p90 ${fmtMs(m.p90)} p99 ${fmtMs(m.p99)} ms` +
          `${m.errors ? `  ${m.errors} errors (${m.firstError})` : ""}${m.note ? `  (${m.note})` : ""}`,
      );
    }
    results[op] = byTarget;
  }

  const stats = JSON.parse(await httpCall("GET", "/v1/stats", 200)) as { operations?: Record<string, { perOp?: number }> };
  const rows: Row[] = opts.ops.map((op) => {
    const r = results[op]!;
    return {
      op,
      service: r.service,
      etcd: r.etcd,
      zookeeper: r.zookeeper,
      frontdoor: r.frontdoor,
      worker: r.worker,
      wrangler: r.wrangler,
      gateway: r.gateway,
      floor: r.floor,
      serviceToEtcd: r.service.opsPerSec / r.etcd.opsPerSec,
      serviceToZookeeper: r.service.opsPerSec / r.zookeeper.opsPerSec,
      roundTripsPerOp: stats.operations?.[STATS_NAME[op]]?.perOp ?? null,
    };
  });

  const machine = {
    nproc: typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length,
    cpu: os.cpus()[0]?.model ?? "unknown",
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    etcd: await etcdVersion(etcdServer.endpoint),
    zookeeper: await zookeeperVersion(zkServer.port),
  };
  const setup = { seconds: opts.seconds, clients: opts.clients, maxOps: opts.maxOps, transport: opts.transport, inProcess: opts.inProcess, totalSeconds: (Date.now() - t0) / 1000 };

  if (opts.json) {
    console.log(JSON.stringify({ machine, setup, results: rows }, null, 2));
  } else {
    console.log(table(rows));
    console.log(`\nthe front door (ZooKeeper's protocol, zkwire/), same client and sessions as zookeeper, beside the Node HTTP path\n${frontDoorTable(rows)}`);
    console.log(
      `\ncost per op: etcd txns the service sent, and CPU µs of the etcd server, of the service's server process, and of this process (${opts.inProcess ? "service + load generator" : "the load generator"})\n${costTable(rows)}`,
    );
    if (opts.worker) {
      console.log(`\nthe Worker under workerd (Miniflare, no wrangler proxy) beside raw etcd's JSON gateway\n${workerTable("worker", "workerd", opts.ops.map((op) => ({ op, worker: results[op]!.worker, gateway: results[op]!.gateway })))}`);
    }
    if (opts.floor) {
      console.log(`\nthe floor: raw etcd's calls behind a bare node:http server in its own process (scripts/bench-floor.ts), beside raw etcd and the service\n${floorTable(rows)}`);
    }
    if (opts.wrangler) {
      console.log(
        `\nthe Worker as npm start runs it (wrangler dev: its proxy and workerd) beside raw etcd's JSON gateway\n` +
          workerTable("wrangler", "wrangler+workerd", opts.ops.map((op) => ({ op, worker: results[op]!.wrangler, gateway: results[op]!.gateway }))),
      );
    }
    console.log(
      `\nservice: HTTP/1.1 keep-alive, one connection per client, the service ${where()}; etcd: one etcd3 gRPC client; ` +
        `zookeeper: one node-zookeeper-client session per client (forceSync=yes)`,
    );
    console.log(`rt/op: etcd round trips per op as the service reports them at GET /v1/stats (operations.<op>.perOp)`);
    const rss = (start: number, end: number) => `${start.toFixed(0)} → ${end.toFixed(0)} MiB`;
    console.log(
      `resident memory, warm start → end: ` +
        (opts.inProcess
          ? `this process (service + load) ${rss(rssAtStart.process, process.memoryUsage().rss / 2 ** 20)}`
          : `the server process ${rss(rssAtStart.server, rssMiBOf(serverPids?.service))}, this process (load) ${rss(rssAtStart.process, process.memoryUsage().rss / 2 ** 20)}`) +
        (opts.worker ? `; workerd ${rss(rssAtStart.workerd, rssMiBOfAll(workerdPids()))}` : "") +
        (opts.wrangler ? `; wrangler dev's processes ${rss(rssAtStart.wrangler, rssMiBOfAll(wranglerTree))}` : ""),
    );
    console.log(`${opts.clients} clients, ${opts.seconds} s per op and target (at most ${opts.maxOps} ops), ${setup.totalSeconds.toFixed(0)} s in all`);
    console.log(`machine: nproc ${machine.nproc}, ${machine.cpu}, ${machine.memoryGiB} GiB, ${machine.platform}; node ${machine.node}; etcd ${machine.etcd}; ZooKeeper ${machine.zookeeper}`);
    const notes = rows.flatMap((r) =>
      (["service", "etcd", "zookeeper", "frontdoor"] as const).flatMap((t) => {
        const m = r[t];
        const parts = [m.errors ? `${m.errors} errors, first: ${m.firstError}` : "", m.note ?? ""].filter(Boolean);
        return parts.length ? [`  ${r.op} ${t}: ${parts.join("; ")} (${m.ops} ops in ${m.seconds.toFixed(1)} s)`] : [];
      }),
    );
    if (notes.length) console.log(`notes:\n${notes.join("\n")}`);
  }
}

async function etcdVersion(endpoint: string): Promise<string> {
  try {
    const res = await fetch(`${endpoint}/version`, { signal: AbortSignal.timeout(2000) });
    return ((await res.json()) as { etcdserver?: string }).etcdserver ?? "unknown";
  } catch {
    return "unknown";
  }
}

async function zookeeperVersion(port: number): Promise<string> {
  try {
    const srvr = await fourLetterWord(port, "srvr", 2000);
    return /version: ([^\s,-]+)/i.exec(srvr)?.[1] ?? "unknown";
  } catch {
    return "unknown";
  }
}

// ---- output ----

function fmtRate(n: number): string {
  return Number.isFinite(n) ? (n >= 100 ? n.toFixed(0) : n.toFixed(1)) : "-";
}
/** CPU µs per op; "-" when not measured. */
function fmtUs(n: number | undefined): string {
  return n === undefined || !Number.isFinite(n) ? "-" : n.toFixed(0);
}

function fmtMs(n: number): string {
  return Number.isFinite(n) ? (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2)) : "-";
}
function fmtRatio(n: number): string {
  return Number.isFinite(n) ? `${n >= 10 ? n.toFixed(1) : n.toFixed(2)}x` : "-";
}

/** Columns padded to their widest cell: the first left-aligned, the rest right-aligned. */
function aligned(header: string[], body: string[][]): string {
  const widths = header.map((_, i) => Math.max(...[header, ...body].map((row) => row[i]!.length)));
  const line = (row: string[]) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join("  ");
  return [line(header), ...body.map(line)].join("\n");
}

function frontDoorTable(rows: Row[]): string {
  const header = ["op", "frontdoor ops/s", "p50 ms", "p99 ms", "frontdoor/service", "frontdoor/zookeeper", "frontdoor/etcd", "server µs/op"];
  const body = rows.map((r) => [
    r.op,
    fmtRate(r.frontdoor.opsPerSec),
    fmtMs(r.frontdoor.p50),
    fmtMs(r.frontdoor.p99),
    fmtRatio(r.frontdoor.opsPerSec / r.service.opsPerSec),
    fmtRatio(r.frontdoor.opsPerSec / r.zookeeper.opsPerSec),
    fmtRatio(r.frontdoor.opsPerSec / r.etcd.opsPerSec),
    fmtUs(opts.inProcess ? r.frontdoor.processCpuUs : r.frontdoor.serverCpuUs),
  ]);
  return aligned(header, body);
}

function floorTable(rows: Row[]): string {
  const header = ["op", "floor ops/s", "p50 ms", "p99 ms", "floor/etcd", "service/floor", "server µs/op", "load µs/op", "etcd µs/op"];
  const body = rows.map((r) => [
    r.op,
    fmtRate(r.floor!.opsPerSec),
    fmtMs(r.floor!.p50),
    fmtMs(r.floor!.p99),
    fmtRatio(r.floor!.opsPerSec / r.etcd.opsPerSec),
    fmtRatio(r.service.opsPerSec / r.floor!.opsPerSec),
    fmtUs(r.floor!.serverCpuUs),
    fmtUs(r.floor!.processCpuUs),
    fmtUs(r.floor!.etcdCpuUs),
  ]);
  return aligned(header, body);
}

function workerTable(name: string, cpuOf: string, rows: { op: OpName; worker: Measured; gateway: Measured }[]): string {
  const header = ["op", `${name} ops/s`, "p50 ms", "p99 ms", "gateway ops/s", "p50 ms", "p99 ms", `${name}/gateway`, `${cpuOf} µs/op`];
  const body = rows.map((r) => [
    r.op,
    fmtRate(r.worker.opsPerSec),
    fmtMs(r.worker.p50),
    fmtMs(r.worker.p99),
    fmtRate(r.gateway.opsPerSec),
    fmtMs(r.gateway.p50),
    fmtMs(r.gateway.p99),
    fmtRatio(r.worker.opsPerSec / r.gateway.opsPerSec),
    fmtUs(r.worker.workerdCpuUs),
  ]);
  return aligned(header, body);
}

function costTable(rows: Row[]): string {
  const header = ["op", "txn/op", "service: etcd µs", "server µs", "load µs", "raw etcd: etcd µs", "process µs", "zookeeper: process µs"];
  const body = rows.map((r) => [
    r.op,
    r.service.txnPerOp === undefined ? "-" : r.service.txnPerOp.toFixed(2),
    fmtUs(r.service.etcdCpuUs),
    fmtUs(r.service.serverCpuUs),
    fmtUs(r.service.processCpuUs),
    fmtUs(r.etcd.etcdCpuUs),
    fmtUs(r.etcd.processCpuUs),
    fmtUs(r.zookeeper.processCpuUs),
  ]);
  return aligned(header, body);
}

function table(rows: Row[]): string {
  const header1 = ["", "service", "", "", "etcd", "", "", "zookeeper", "", "", "service/", "service/", ""];
  const header2 = ["op", "ops/s", "p50 ms", "p99 ms", "ops/s", "p50 ms", "p99 ms", "ops/s", "p50 ms", "p99 ms", "etcd", "zookeeper", "rt/op"];
  const body = rows.map((r) => [
    r.op,
    ...[r.service, r.etcd, r.zookeeper].flatMap((m) => [fmtRate(m.opsPerSec), fmtMs(m.p50), fmtMs(m.p99)]),
    fmtRatio(r.serviceToEtcd),
    fmtRatio(r.serviceToZookeeper),
    r.roundTripsPerOp === null ? "-" : String(r.roundTripsPerOp),
  ]);
  const all = [header1, header2, ...body];
  const widths = header2.map((_, i) => Math.max(...all.map((row) => row[i]!.length)));
  // Group separators after op, each target, and the ratios.
  const bar = new Set([0, 3, 6, 9, 11]);
  const line = (row: string[]) =>
    row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)) + (bar.has(i) ? " |" : "")).join(" ");
  const rule = line(widths.map((w) => "-".repeat(w))).replace(/ \| /g, "-+-").replace(/ /g, "-");
  return [line(header1), line(header2), rule, ...body.map(line)].join("\n");
}

main()
  .then(() => exit(0))
  .catch((e) => {
    if (!aborted) console.error(e instanceof Error ? (e.stack ?? e.message) : e);
    return exit(1);
  });
