// Both etcd transports against a real etcd: the same table of behaviours, so
// lib/ can rely on them being interchangeable.

import net from "node:net";
import path from "node:path";
import type { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createGatewayEtcd } from "../../lib/etcd/gateway.js";
import { createGrpcEtcd } from "../../lib/etcd/grpc.js";
import { EtcdAuthError, EtcdCompactedError, EtcdUnavailableError } from "../../lib/etcd/errors.js";
import {
  prefixEnd,
  type Etcd,
  type RangeRequest,
  type RangeResponse,
  type RoundTripKind,
  type TxnResponse,
} from "../../lib/etcd/types.js";
import { freePort, startEtcd, type EtcdServer } from "../support/etcd-server.js";

let server: EtcdServer;
let deadEndpoint: string;
// Accepts TCP connections and never says a word: a hung member.
const silentServer = net.createServer();
const silentSockets = new Set<net.Socket>();
let silentEndpoint: string;

beforeAll(async () => {
  server = await startEtcd();
  deadEndpoint = `http://127.0.0.1:${await freePort()}`;
  silentServer.on("connection", (socket) => silentSockets.add(socket));
  await new Promise<void>((resolve) => silentServer.listen(0, "127.0.0.1", resolve));
  silentEndpoint = `http://127.0.0.1:${(silentServer.address() as net.AddressInfo).port}`;
}, 30_000);

afterAll(async () => {
  for (const socket of silentSockets) socket.destroy();
  silentServer.close();
  await server?.stop();
});

type Options = { endpoints: string[]; auth?: { user: string; password: string }; timeoutMs?: number };
const transports = [
  { name: "gateway", create: (o: Options) => createGatewayEtcd({ timeoutMs: 2000, ...o }) },
  { name: "grpc", create: (o: Options) => createGrpcEtcd({ timeoutMs: 2000, ...o }) },
];

const bytes = (text: string) => new TextEncoder().encode(text);

function rangeOf(res: TxnResponse, index = 0): RangeResponse {
  const op = res.responses[index];
  if (op === undefined || !("range" in op)) throw new Error(`response ${index} is not a range: ${JSON.stringify(op)}`);
  return op.range;
}

describe.each(transports)("$name transport", ({ name, create }) => {
  let etcd: Etcd;
  // Each transport writes under its own prefix so the two tables cannot see each other's keys.
  const k = (suffix: string) => `/${name}/${suffix}`;
  const put = (key: string, value: string | Uint8Array, lease?: bigint) =>
    etcd.txn({ success: [{ put: { key, value: typeof value === "string" ? bytes(value) : value, lease } }] });
  const range = async (req: RangeRequest) => rangeOf(await etcd.txn({ success: [{ range: req }] }));

  beforeAll(() => {
    etcd = create({ endpoints: [server.endpoint] });
  });
  afterAll(async () => {
    await etcd?.close();
  });

  test("put and range through txn, with every KeyValue field", async () => {
    const value = new Uint8Array([0, 1, 128, 255]);
    const written = await put(k("a"), value);
    expect(written.succeeded).toBe(true);
    expect(written.responses).toEqual([{ put: {} }]);

    const r = await range({ key: k("a") });
    expect(r.count).toBe(1n);
    expect(r.more).toBe(false);
    expect(r.kvs).toEqual([
      { key: k("a"), value, createRevision: written.revision, modRevision: written.revision, version: 1n, lease: 0n },
    ]);
    expect(r.kvs[0]!.value).toBeInstanceOf(Uint8Array);
  });

  test("range of an absent key is empty", async () => {
    expect(await range({ key: k("absent") })).toEqual({ kvs: [], count: 0n, more: false });
  });

  test("compares on an absent key: version, create and mod revision are 0; a value compare always fails", async () => {
    const absent = k("never-written");
    const succeeds = async (compare: Parameters<Etcd["txn"]>[0]["compare"]) => (await etcd.txn({ compare })).succeeded;
    expect(await succeeds([{ key: absent, target: "mod", result: "equal", value: 0n }])).toBe(true);
    expect(await succeeds([{ key: absent, target: "create", result: "equal", value: 0n }])).toBe(true);
    expect(await succeeds([{ key: absent, target: "version", result: "equal", value: 0n }])).toBe(true);
    expect(await succeeds([{ key: absent, target: "lease", result: "equal", value: 0n }])).toBe(true);
    // etcd fails every value compare on a key that does not exist, even "not equal".
    expect(await succeeds([{ key: absent, target: "value", result: "not_equal", value: bytes("x") }])).toBe(false);
    expect(await succeeds([{ key: absent, target: "value", result: "equal", value: new Uint8Array(0) }])).toBe(false);
  });

  test("compares on an existing key reach the right target and operator", async () => {
    const key = k("cmp");
    const first = await put(key, "one");
    const second = await put(key, "two"); // version 2, create = first, mod = second
    const c = first.revision;
    const m = second.revision;
    const cases: [Parameters<Etcd["txn"]>[0]["compare"], boolean][] = [
      [[{ key, target: "version", result: "equal", value: 2n }], true],
      [[{ key, target: "version", result: "greater", value: 1n }], true],
      [[{ key, target: "version", result: "greater", value: 2n }], false],
      [[{ key, target: "version", result: "less", value: 3n }], true],
      [[{ key, target: "version", result: "not_equal", value: 2n }], false],
      [[{ key, target: "create", result: "equal", value: c }], true],
      [[{ key, target: "create", result: "equal", value: m }], false],
      [[{ key, target: "mod", result: "equal", value: m }], true],
      [[{ key, target: "mod", result: "less", value: m }], false],
      [[{ key, target: "mod", result: "greater", value: c }], true],
      [[{ key, target: "value", result: "equal", value: bytes("two") }], true],
      [[{ key, target: "value", result: "equal", value: bytes("one") }], false],
      [[{ key, target: "value", result: "not_equal", value: bytes("one") }], true],
      [[{ key, target: "value", result: "greater", value: bytes("one") }], true],
      [[{ key, target: "lease", result: "equal", value: 0n }], true],
      [
        [
          { key, target: "version", result: "equal", value: 2n },
          { key, target: "mod", result: "equal", value: c },
        ],
        false,
      ],
    ];
    for (const [compare, expected] of cases) {
      expect((await etcd.txn({ compare })).succeeded, JSON.stringify(compare, (_, v) => (typeof v === "bigint" ? `${v}n` : v))).toBe(
        expected,
      );
    }
  });

  test("a failed compare runs the failure branch", async () => {
    const key = k("branch");
    const res = await etcd.txn({
      compare: [{ key, target: "version", result: "greater", value: 0n }],
      success: [{ put: { key, value: bytes("success") } }],
      failure: [{ put: { key, value: bytes("failure") } }, { range: { key } }],
    });
    expect(res.succeeded).toBe(false);
    expect(res.responses[0]).toEqual({ put: {} });
    expect(rangeOf(res, 1).kvs.map((kv) => new TextDecoder().decode(kv.value))).toEqual(["failure"]);
  });

  test("count_only, limit and keys_only over a prefix", async () => {
    const prefix = k("dir/");
    await put(`${prefix}x`, "1");
    await put(`${prefix}y`, "2");
    await put(`${prefix}z`, "3");
    await put(prefixEnd(prefix), "just past the prefix");

    expect(await range({ key: prefix, rangeEnd: prefixEnd(prefix), countOnly: true })).toEqual({ kvs: [], count: 3n, more: false });

    const limited = await range({ key: prefix, rangeEnd: prefixEnd(prefix), limit: 2 });
    expect(limited.kvs.map((kv) => kv.key)).toEqual([`${prefix}x`, `${prefix}y`]);
    expect(limited.count).toBe(3n);
    expect(limited.more).toBe(true);

    const keysOnly = await range({ key: prefix, rangeEnd: prefixEnd(prefix), keysOnly: true });
    expect(keysOnly.kvs.map((kv) => kv.key)).toEqual([`${prefix}x`, `${prefix}y`, `${prefix}z`]);
    expect(keysOnly.kvs.every((kv) => kv.value.length === 0 && kv.version === 1n)).toBe(true);
  });

  test("deleteRange reports how many keys it deleted", async () => {
    const prefix = k("del/");
    await put(`${prefix}1`, "a");
    await put(`${prefix}2`, "b");
    const res = await etcd.txn({ success: [{ deleteRange: { key: prefix, rangeEnd: prefixEnd(prefix) } }] });
    expect(res.responses).toEqual([{ deleteRange: { deleted: 2n } }]);
    const again = await etcd.txn({ success: [{ deleteRange: { key: prefix, rangeEnd: prefixEnd(prefix) } }] });
    expect(again.responses).toEqual([{ deleteRange: { deleted: 0n } }]);
  });

  test("a range at a past revision sees the value as of then", async () => {
    const key = k("history");
    const v1 = await put(key, "v1");
    await put(key, "v2");
    const then = await range({ key, revision: v1.revision });
    expect(then.kvs.map((kv) => [new TextDecoder().decode(kv.value), kv.modRevision])).toEqual([["v1", v1.revision]]);
    const now = await range({ key });
    expect(new TextDecoder().decode(now.kvs[0]!.value)).toBe("v2");
  });

  test("a write's revision is the one the next read reports", async () => {
    const written = await put(k("rev"), "x");
    const read = await etcd.txn({ success: [{ range: { key: k("rev") } }] });
    expect(read.revision).toBe(written.revision);
    expect(rangeOf(read).kvs[0]!.modRevision).toBe(written.revision);
  });

  test("one txn putting two keys commits one revision", async () => {
    const before = (await etcd.txn({})).revision;
    const res = await etcd.txn({
      success: [{ put: { key: k("pair/1"), value: bytes("a") } }, { put: { key: k("pair/2"), value: bytes("b") } }],
    });
    expect(res.revision).toBe(before + 1n);
    const r = await range({ key: k("pair/"), rangeEnd: prefixEnd(k("pair/")) });
    expect(r.kvs.map((kv) => kv.modRevision)).toEqual([res.revision, res.revision]);
  });

  test("lease grant, time to live, keepalive and revoke", async () => {
    const id = await etcd.leaseGrant(10);
    expect(typeof id).toBe("bigint");
    expect(id > 0n).toBe(true);

    const ttl = await etcd.leaseTimeToLive(id);
    expect(ttl?.grantedTtlSeconds).toBe(10);
    expect(ttl!.ttlSeconds).toBeGreaterThan(0);
    expect(ttl!.ttlSeconds).toBeLessThanOrEqual(10);

    expect(await etcd.leaseKeepAlive(id)).toEqual({ ttlSeconds: 10 });
    expect(await etcd.leaseRevoke(id)).toBe(true);
    expect(await etcd.leaseRevoke(id)).toBe(false);
    expect(await etcd.leaseKeepAlive(id)).toBeNull();
    expect(await etcd.leaseTimeToLive(id)).toBeNull();
  });

  test("revoking a lease deletes its keys in one revision", async () => {
    const id = await etcd.leaseGrant(30);
    await put(k("leased/1"), "a", id);
    const written = await put(k("leased/2"), "b", id);
    expect((await range({ key: k("leased/2") })).kvs[0]!.lease).toBe(id);

    expect(await etcd.leaseRevoke(id)).toBe(true);
    const after = await etcd.txn({ success: [{ range: { key: k("leased/"), rangeEnd: prefixEnd(k("leased/")), countOnly: true } }] });
    expect(rangeOf(after).count).toBe(0n);
    expect(after.revision).toBe(written.revision + 1n);
  });

  test("int64 values above 2^53 round-trip exactly", async () => {
    // 2^53 + 1 and + 3 are not representable as a JS number.
    const id = name === "gateway" ? 9007199254740993n : 9007199254740995n;
    expect(await etcd.leaseGrant(30, id)).toBe(id);
    await put(k("big"), "x", id);
    expect((await range({ key: k("big") })).kvs[0]!.lease).toBe(id);
    const leased = await etcd.txn({ compare: [{ key: k("big"), target: "lease", result: "equal", value: id }] });
    expect(leased.succeeded).toBe(true);
    expect((await etcd.leaseKeepAlive(id))?.ttlSeconds).toBe(30);
    expect(await etcd.leaseRevoke(id)).toBe(true);
  });

  test("a range at a compacted revision throws EtcdCompactedError", async () => {
    const key = k("compact");
    const old = await put(key, "old");
    const current = await put(key, "new");
    await etcd.compact(current.revision);
    await expect(range({ key, revision: old.revision })).rejects.toBeInstanceOf(EtcdCompactedError);
    expect((await range({ key, revision: current.revision })).kvs).toHaveLength(1);
  });

  test("nextChange: the first change at or after a revision, from history or as it happens", async () => {
    const a = k("watch/a");
    const first = await put(a, "1");
    await put(a, "2");
    const never = new AbortController().signal;
    // Several ranges in one stream; the answer is the earliest change in history.
    expect(await etcd.nextChange([{ key: k("watch/b") }, { key: a }], first.revision, never)).toBe(first.revision);
    const prefix = k("watch/p/");
    const now = (await range({ key: a })).kvs[0]!.modRevision;
    const waiting = etcd.nextChange([{ key: prefix, rangeEnd: prefixEnd(prefix) }], now + 1n, never);
    await new Promise((r) => setTimeout(r, 100));
    const other = await put(k("watch/elsewhere"), "x");
    const inside = await put(`${prefix}x`, "x");
    expect(inside.revision).toBeGreaterThan(other.revision);
    expect(await waiting).toBe(inside.revision);
    // A deletion is a change too, at the revision that deleted.
    const gone = await etcd.txn({ success: [{ deleteRange: { key: a } }] });
    expect(await etcd.nextChange([{ key: a }], gone.revision, never)).toBe(gone.revision);
  });

  test("watch: puts and deletes with their key values, in revision order, history then live", async () => {
    const prefix = k("stream/");
    const range = { key: prefix, rangeEnd: prefixEnd(prefix) };
    const first = await put(`${prefix}a`, "1");
    const both = await etcd.txn({ success: [{ put: { key: `${prefix}b`, value: bytes("2") } }, { deleteRange: { key: `${prefix}a` } }] });
    const controller = new AbortController();
    const seen: [string, string, bigint, string][] = [];
    const done = (async () => {
      for await (const batch of etcd.watch([range], first.revision, controller.signal)) {
        for (const c of batch) seen.push([c.kind, c.kv.key, c.kv.modRevision, new TextDecoder().decode(c.kv.value)]);
        if (seen.length === 4) controller.abort();
      }
    })();
    const later = await put(`${prefix}c`, "3");
    await done;
    expect(seen).toEqual([
      ["put", `${prefix}a`, first.revision, "1"],
      ["put", `${prefix}b`, both.revision, "2"],
      ["delete", `${prefix}a`, both.revision, ""],
      ["put", `${prefix}c`, later.revision, "3"],
    ]);
  });

  test("watch: a dead endpoint first, the live one serves the stream", async () => {
    const both = create({ endpoints: [deadEndpoint, server.endpoint] });
    try {
      const written = await put(k("stream/failover"), "x");
      expect(await both.nextChange([{ key: k("stream/failover") }], written.revision, new AbortController().signal)).toBe(written.revision);
    } finally {
      await both.close();
    }
  });

  test("nextChange: null once the signal aborts; EtcdCompactedError for compacted history", async () => {
    const key = k("watch/quiet");
    const current = await put(key, "x");
    const controller = new AbortController();
    const waiting = etcd.nextChange([{ key }], current.revision + 1n, controller.signal);
    setTimeout(() => controller.abort(), 100);
    expect(await waiting).toBeNull();
    expect(await etcd.nextChange([{ key }], current.revision + 1n, AbortSignal.abort())).toBeNull();
    await put(key, "y");
    const latest = await put(key, "z");
    await etcd.compact(latest.revision);
    await expect(etcd.nextChange([{ key }], current.revision, new AbortController().signal)).rejects.toBeInstanceOf(EtcdCompactedError);
  });

  test("nextChange: polls on the same keys share one etcd watch; an older one gets its own", async () => {
    const key = k("watch/shared");
    const current = await put(key, "x");
    const before = etcd.roundTrips().watch;
    const polls = Array.from({ length: 50 }, () => etcd.nextChange([{ key }], current.revision + 1n, new AbortController().signal));
    expect(etcd.roundTrips().watch - before).toBe(1);
    const older = etcd.nextChange([{ key }], current.revision, new AbortController().signal);
    expect(etcd.roundTrips().watch - before).toBe(2);
    expect(await older).toBe(current.revision);
    const next = await put(key, "y");
    expect(await Promise.all(polls)).toEqual(Array(50).fill(next.revision));
    // A poll that comes after the change it asks about is answered from what the shared watch saw.
    expect(await etcd.nextChange([{ key }], current.revision + 1n, new AbortController().signal)).toBe(next.revision);
    expect(etcd.roundTrips().watch - before).toBe(2);
  });

  test("an unreachable endpoint fails with EtcdUnavailableError", async () => {
    const dead = create({ endpoints: [deadEndpoint] });
    try {
      await expect(dead.txn({ success: [{ range: { key: k("a") } }] })).rejects.toBeInstanceOf(EtcdUnavailableError);
      await expect(dead.txn({ success: [{ put: { key: k("a"), value: bytes("x") } }] })).rejects.toBeInstanceOf(
        EtcdUnavailableError,
      );
      await expect(dead.leaseGrant(5)).rejects.toBeInstanceOf(EtcdUnavailableError);
      await expect(dead.leaseKeepAlive(1n)).rejects.toBeInstanceOf(EtcdUnavailableError);
    } finally {
      await dead.close();
    }
  });

  test("an endpoint that accepts connections but never answers times out", async () => {
    const silent = create({ endpoints: [silentEndpoint], timeoutMs: 300 });
    try {
      await expect(silent.txn({ success: [{ range: { key: k("a") } }] })).rejects.toBeInstanceOf(EtcdUnavailableError);
      await expect(silent.leaseKeepAlive(1n)).rejects.toBeInstanceOf(EtcdUnavailableError);
    } finally {
      await silent.close();
    }
  });

  test("fails over from a dead endpoint to a live one, for reads, writes and leases", async () => {
    const both = create({ endpoints: [deadEndpoint, server.endpoint] });
    try {
      const written = await both.txn({ success: [{ put: { key: k("failover"), value: bytes("ok") } }] });
      expect(written.succeeded).toBe(true);
      const read = await both.txn({ success: [{ range: { key: k("failover") } }] });
      expect(rangeOf(read).kvs[0]!.modRevision).toBe(written.revision);
      const id = await both.leaseGrant(5);
      expect(await both.leaseRevoke(id)).toBe(true);
    } finally {
      await both.close();
    }
  });

  test("round-trip counters rise by exactly one per call, of its kind", async () => {
    let id = 0n;
    let revision = 0n;
    const calls: [RoundTripKind, () => Promise<unknown>][] = [
      ["leaseGrant", async () => (id = await etcd.leaseGrant(5))],
      ["leaseKeepAlive", () => etcd.leaseKeepAlive(id)],
      ["leaseTimeToLive", () => etcd.leaseTimeToLive(id)],
      ["txn", async () => (revision = (await put(k("counted"), "x")).revision)],
      ["txn", () => range({ key: k("counted") })],
      ["compact", () => etcd.compact(revision)],
      ["watch", () => etcd.nextChange([{ key: k("counted") }], revision, new AbortController().signal)],
      ["leaseRevoke", () => etcd.leaseRevoke(id)],
      ["leaseRevoke", () => etcd.leaseRevoke(id)], // already gone: still one trip
    ];
    for (const [kind, call] of calls) {
      const before = etcd.roundTrips();
      await call();
      expect(etcd.roundTrips(), kind).toEqual({ ...before, [kind]: before[kind] + 1 });
    }
  });
});

describe("gateway failover rules (scripted first endpoint)", () => {
  // "http://scripted" answers /version (the probe before a write) and gives `answer` for etcd calls.
  const scripted = (answer: () => Promise<Response>) => {
    const calls: string[] = [];
    const fetchImpl: typeof fetch = async (input, init) => {
      const url = String(input);
      calls.push(url);
      if (url === "http://scripted/version") return new Response("{}");
      return url.startsWith("http://scripted") ? answer() : fetch(input, init);
    };
    const etcd = createGatewayEtcd({ endpoints: ["http://scripted", server.endpoint], fetch: fetchImpl, timeoutMs: 2000 });
    return { etcd, calls };
  };
  const timeout = () => Promise.reject(new DOMException("The operation was aborted due to timeout", "TimeoutError"));
  const networkLost = () => Promise.reject(new Error("Network connection lost."));
  const json = (status: number, body: unknown) => Promise.resolve(new Response(JSON.stringify(body), { status }));
  const etcdError = (status: number, error: string, code: number) => json(status, { error, message: error, code });
  const write = { success: [{ put: { key: "/scripted/w", value: new Uint8Array([1]) } }] };
  const read = { success: [{ range: { key: "/scripted/w" } }] };

  test("a read that timed out is retried on the next endpoint", async () => {
    const { etcd, calls } = scripted(timeout);
    expect((await etcd.txn(read)).revision > 0n).toBe(true);
    expect(calls).toEqual(["http://scripted/v3/kv/txn", `${server.endpoint}/v3/kv/txn`]);
  });

  test("a write that timed out is not re-sent: its outcome is unknown", async () => {
    const { etcd, calls } = scripted(timeout);
    await expect(etcd.txn(write)).rejects.toBeInstanceOf(EtcdUnavailableError);
    expect(calls).toEqual(["http://scripted/version", "http://scripted/v3/kv/txn"]);
    // The failed endpoint goes to the back of the line for the next call.
    await etcd.txn(write);
    expect(calls.slice(2)).toEqual([`${server.endpoint}/version`, `${server.endpoint}/v3/kv/txn`]);
  });

  test("a write that lost its connection (workerd's only network error) is not re-sent either", async () => {
    const { etcd, calls } = scripted(networkLost);
    await expect(etcd.txn(write)).rejects.toBeInstanceOf(EtcdUnavailableError);
    expect(calls).toHaveLength(2);
  });

  test("a write goes on to the next endpoint when the probe before it fails: nothing was sent", async () => {
    const calls: string[] = [];
    const fetchImpl: typeof fetch = async (input, init) => {
      calls.push(String(input));
      return String(input).startsWith("http://scripted") ? networkLost() : fetch(input, init);
    };
    const etcd = createGatewayEtcd({ endpoints: ["http://scripted", server.endpoint], fetch: fetchImpl });
    expect((await etcd.txn(write)).succeeded).toBe(true);
    expect(calls).toEqual(["http://scripted/version", `${server.endpoint}/version`, `${server.endpoint}/v3/kv/txn`]);
    // The live endpoint just answered: the next write needs no probe.
    await etcd.txn(write);
    expect(calls.slice(3)).toEqual([`${server.endpoint}/v3/kv/txn`]);
  });

  test('"no leader" means the write was refused, so it moves on to the next endpoint', async () => {
    const { etcd, calls } = scripted(() => etcdError(503, "etcdserver: no leader", 14));
    expect((await etcd.txn(write)).succeeded).toBe(true);
    expect(calls.filter((c) => c.endsWith("/v3/kv/txn"))).toEqual(["http://scripted/v3/kv/txn", `${server.endpoint}/v3/kv/txn`]);
  });

  test('"request timed out" on the only endpoint is EtcdUnavailableError', async () => {
    const etcd = createGatewayEtcd({
      endpoints: ["http://scripted"],
      fetch: () => etcdError(503, "etcdserver: request timed out", 14),
    });
    await expect(etcd.txn(read)).rejects.toBeInstanceOf(EtcdUnavailableError);
  });

  test("an etcd error that is the caller's (not the endpoint's) is thrown as is", async () => {
    const etcd = createGatewayEtcd({ endpoints: [server.endpoint] });
    const twice = {
      success: [{ put: { key: "/scripted/dup", value: new Uint8Array() } }, { put: { key: "/scripted/dup", value: new Uint8Array() } }],
    };
    const err = await etcd.txn(twice).catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(EtcdUnavailableError);
    expect(String(err)).toMatch(/duplicate key/);
  });

  test("an expired auth token is replaced once and the call retried", async () => {
    const seen: string[] = [];
    let issued = 0;
    const fetchImpl: typeof fetch = async (input, init) => {
      const path = new URL(String(input)).pathname;
      const token = new Headers(init?.headers).get("authorization");
      seen.push(`${path} ${token ?? "-"}`);
      if (path === "/v3/auth/authenticate") return json(200, { token: `t${++issued}` });
      if (token === "t1") return etcdError(401, "etcdserver: invalid auth token", 16);
      return json(200, { header: { revision: "7" }, succeeded: true });
    };
    const etcd = createGatewayEtcd({ endpoints: ["http://scripted"], fetch: fetchImpl, auth: { user: "u", password: "p" } });
    expect((await etcd.txn(read)).revision).toBe(7n);
    await etcd.txn(read);
    expect(seen).toEqual([
      "/v3/auth/authenticate -",
      "/v3/kv/txn t1",
      "/v3/auth/authenticate -",
      "/v3/kv/txn t2",
      "/v3/kv/txn t2",
    ]);
  });
});

describe("gateway transport inside workerd", () => {
  // Bundled like the Worker will be: it must need nothing but fetch, TextEncoder and atob/btoa.
  const worker = `
    import { createGatewayEtcd } from "../../lib/etcd/gateway.js";
    export default {
      async fetch(request) {
        const q = new URL(request.url).searchParams;
        const etcd = createGatewayEtcd({ endpoints: [q.get("etcd")] });
        const id = await etcd.leaseGrant(5, 9007199254740997n);
        const revoked = [await etcd.leaseRevoke(id), await etcd.leaseRevoke(id)];
        // Right after an error answer, which workerd leaves its connection unusable from.
        const written = await etcd.txn({ success: [{ put: { key: "/workerd/k", value: new Uint8Array([1, 255]) } }] });
        const kv = (await etcd.txn({ success: [{ range: { key: "/workerd/k" } }] })).responses[0].range.kvs[0];
        const failover = createGatewayEtcd({ endpoints: [q.get("dead"), q.get("etcd")] });
        const failedOver = await failover.txn({ success: [{ put: { key: "/workerd/k", value: new Uint8Array() } }] });
        return Response.json({
          id: String(id),
          revoked,
          sameRevision: kv.modRevision === written.revision,
          value: [...kv.value],
          failedOver: failedOver.revision === written.revision + 1n,
        });
      },
    };`;

  test("leases, an error answer, then writes and failover", async () => {
    const { build } = await import("esbuild");
    const { Miniflare } = await import("miniflare");
    const bundle = await build({
      stdin: { contents: worker, resolveDir: path.dirname(fileURLToPath(import.meta.url)), loader: "js" },
      bundle: true,
      format: "esm",
      platform: "neutral",
      conditions: ["workerd", "worker", "browser"],
      write: false,
    });
    const mf = new Miniflare({
      modules: true,
      script: bundle.outputFiles[0]!.text,
      compatibilityDate: "2026-04-01",
      // workerd logs each failed request to stderr; the sacrificial ones are expected to fail.
      handleRuntimeStdio: (stdout: Readable, stderr: Readable) => {
        stdout.resume();
        stderr.resume();
      },
    });
    try {
      const url = `http://worker/?etcd=${encodeURIComponent(server.endpoint)}&dead=${encodeURIComponent(deadEndpoint)}`;
      const res = await mf.dispatchFetch(url);
      expect(await res.json()).toEqual({
        id: "9007199254740997",
        revoked: [true, false],
        sameRevision: true,
        value: [1, 255],
        failedOver: true,
      });
    } finally {
      await mf.dispose();
    }
  }, 30_000);
});

// Last: enabling auth changes the server for every later test in this file.
describe("with etcd auth enabled", () => {
  const root = { user: "root", password: "root-password" };

  beforeAll(async () => {
    for (const [path, body] of [
      ["/v3/auth/role/add", { name: "root" }],
      ["/v3/auth/user/add", { name: root.user, password: root.password }],
      ["/v3/auth/user/grant", { user: root.user, role: "root" }],
      ["/v3/auth/enable", {}],
    ] as const) {
      const res = await fetch(`${server.endpoint}${path}`, { method: "POST", body: JSON.stringify(body) });
      if (!res.ok) throw new Error(`${path}: ${await res.text()}`);
    }
  });

  describe.each(transports)("$name transport", ({ create }) => {
    test("authenticates and works", async () => {
      const etcd = create({ endpoints: [server.endpoint], auth: root });
      try {
        const written = await etcd.txn({ success: [{ put: { key: "/auth/k", value: new Uint8Array([7]) } }] });
        const read = await etcd.txn({ success: [{ range: { key: "/auth/k" } }] });
        expect(rangeOf(read).kvs[0]!.modRevision).toBe(written.revision);
        const id = await etcd.leaseGrant(5);
        expect(await etcd.leaseKeepAlive(id)).toEqual({ ttlSeconds: 5 });
        expect(await etcd.leaseRevoke(id)).toBe(true);
      } finally {
        await etcd.close();
      }
    });

    test("a wrong password is unavailability until fixed (a 503, not a 500), with no failover", async () => {
      const etcd = create({ endpoints: [server.endpoint], auth: { user: root.user, password: "wrong" } });
      try {
        const err = await etcd.txn({ success: [{ range: { key: "/auth/k" } }] }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(EtcdAuthError);
        expect(err).toBeInstanceOf(EtcdUnavailableError);
        expect(String(err)).toMatch(/authentication failed/);
      } finally {
        await etcd.close();
      }
    });
  });
});
