// The TypeScript client (zk-etcd/client, imported by package name) against the
// Node server listening on a real loopback port, over a real etcd. Expected
// values follow from ZooKeeper 3.8 semantics and docs/api.md, not from output.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  Acls,
  AuthFailedError,
  BadArgumentsError,
  BadVersionError,
  ConnectionLossError,
  digestId,
  fromText,
  InvalidAclError,
  NoAuthError,
  NoChildrenForEphemeralsError,
  NodeExistsError,
  NoNodeError,
  NotEmptyError,
  SessionExpiredError,
  toText,
  ZkClient,
  ZkError,
  type ClientOptions,
  type FetchLike,
  type StateEvent,
  type WatchEvent,
} from "zk-etcd/client";
import { startEtcdCluster, type EtcdCluster } from "../support/etcd-server.js";
import { startHttpService, type HttpService } from "../support/http-service.js";
import { FaultyFetch, until } from "./support.js";

let etcd: EtcdCluster;
/** The service the clients under test talk to; `other` is a second instance on the same tree. */
let svc: HttpService;
let other: HttpService;
const clients: ZkClient[] = [];

const FAST_RETRY = { retries: 30, baseDelayMs: 20, maxDelayMs: 300 };

function client(options: Partial<ClientOptions> = {}, url = svc.url): ZkClient {
  const c = new ZkClient({ url, retry: FAST_RETRY, sessionTimeoutMs: 4000, ...options });
  clients.push(c);
  return c;
}

async function session(options: Partial<ClientOptions> = {}, url?: string): Promise<ZkClient> {
  const c = client(options, url);
  await c.start();
  return c;
}

beforeAll(async () => {
  etcd = await startEtcdCluster(1);
  const vars = { ZK_PREFIX: `client-${process.pid}/`, ZK_API_CREDENTIALS: "alice:secret,bob:pw" };
  svc = await startHttpService(etcd.endpoints[0]!, vars);
  other = await startHttpService(etcd.endpoints[0]!, vars);
});

afterAll(async () => {
  for (const c of clients) await c.close().catch(() => undefined);
  await svc?.close();
  await other?.close();
  await etcd?.stop();
});

describe("znode operations", { timeout: 120_000 }, () => {
  test("create in every mode, read, set, delete; Stat as bigints", async () => {
    const zk = await session();
    const { path, stat } = await zk.create("/ops", { data: "hello" });
    expect(path).toBe("/ops");
    expect(typeof stat.czxid).toBe("bigint");
    expect(stat).toMatchObject({ version: 0, cversion: 0, aversion: 0, ephemeralOwner: 0n, dataLength: 5, numChildren: 0 });
    expect(stat.mzxid).toBe(stat.czxid);
    expect(stat.pzxid).toBe(stat.czxid);

    const bytes = new Uint8Array([0, 255, 128, 10]);
    await zk.create("/ops/bin", { data: bytes });
    const got = await zk.getData("/ops/bin");
    expect(got.data).toEqual(bytes);
    expect(got.zxid).toBeGreaterThanOrEqual(got.stat.mzxid);
    expect(await zk.getText("/ops")).toBe("hello");

    const seq1 = await zk.create("/ops/job-", { mode: "persistent_sequential" });
    const seq2 = await zk.create("/ops/job-", { mode: "persistent_sequential" });
    // bin was child 0; the sequence counts every child ever created (%010d).
    expect([seq1.path, seq2.path]).toEqual(["/ops/job-0000000001", "/ops/job-0000000002"]);

    const eph = await zk.create("/ops/eph", { mode: "ephemeral" });
    expect(eph.stat.ephemeralOwner).toBe(zk.sessionId);
    const ephSeq = await zk.create("/ops/e-", { mode: "ephemeral_sequential" });
    expect(ephSeq.path).toBe("/ops/e-0000000004");
    expect(await zk.getEphemerals()).toEqual(["/ops/e-0000000004", "/ops/eph"]);
    await zk.create("/ops/cont", { mode: "container" });
    const ttl = await zk.create("/ops/ttl", { mode: "persistent_with_ttl", ttlMs: 60_000 });
    expect(ttl.stat.ephemeralOwner).toBe(0n);

    const kids = await zk.getChildren("/ops");
    expect(kids.children).toEqual(["bin", "cont", "e-0000000004", "eph", "job-0000000001", "job-0000000002", "ttl"]);
    expect(kids.stat.numChildren).toBe(7);

    const set = await zk.setData("/ops", "v1", 0);
    expect(set.version).toBe(1);
    expect(set.mzxid).toBeGreaterThan(stat.mzxid);
    expect((await zk.setData("/ops", fromText("v2"))).version).toBe(2);
    expect(await zk.exists("/ops")).toMatchObject({ version: 2, dataLength: 2 });
    expect(await zk.exists("/ops/none")).toBeNull();

    await zk.delete("/ops/bin", 0);
    expect(await zk.exists("/ops/bin")).toBeNull();
    await zk.create("/ops/deep/a/b", { parents: true, data: "x" });
    expect(await zk.getText("/ops/deep/a/b")).toBe("x");
    await zk.ensurePath("/ops/deep/a/c");
    await zk.ensurePath("/ops/deep/a/c");
    await zk.delete("/ops/deep", { recursive: true });
    expect(await zk.exists("/ops/deep")).toBeNull();
    await zk.sync("/ops");
    await zk.sync("/does-not-exist");
  });

  test("typed errors carry ZooKeeper's code name and number", async () => {
    const zk = await session();
    await zk.create("/err");
    const eph = await zk.create("/err/eph", { mode: "ephemeral" });
    await zk.create("/err/full/child", { parents: true });
    const cases: [() => Promise<unknown>, Function, string, number][] = [
      [() => zk.getData("/err/missing"), NoNodeError, "NONODE", -101],
      [() => zk.create("/err"), NodeExistsError, "NODEEXISTS", -110],
      [() => zk.setData("/err", "x", 7), BadVersionError, "BADVERSION", -103],
      [() => zk.delete("/"), BadArgumentsError, "BADARGUMENTS", -8],
      [() => zk.create(`${eph.path}/child`), NoChildrenForEphemeralsError, "NOCHILDRENFOREPHEMERALS", -108],
      [() => zk.create("/err/acl", { acl: [{ scheme: "world", id: "someone", perms: "r" }] }), InvalidAclError, "INVALIDACL", -114],
      [() => zk.create("/err/x/y"), NoNodeError, "NONODE", -101],
      [() => zk.delete("/err/full"), NotEmptyError, "NOTEMPTY", -111],
    ];
    for (const [call, Class, code, number] of cases) {
      const e = await call().then(
        () => null,
        (err) => err,
      );
      expect(e, code).toBeInstanceOf(Class);
      expect(e).toBeInstanceOf(ZkError);
      expect([e.code, e.zkCode]).toEqual([code, number]);
      expect(e.message).not.toBe("");
    }
    // Paths ZooKeeper's client refuses never reach the service.
    for (const bad of ["relative", "/a/../b", "/a//b", "/a/"]) {
      await expect(zk.exists(bad)).rejects.toBeInstanceOf(BadArgumentsError);
    }
    const wrong = client({ user: "alice", password: "wrong" });
    const auth = await wrong.exists("/").catch((e) => e);
    expect(auth).toBeInstanceOf(AuthFailedError);
    expect([auth.code, auth.zkCode, auth.status]).toEqual(["AUTHFAILED", -115, 401]);
  });
});

describe("ACLs", { timeout: 120_000 }, () => {
  test("get and set with the auth, digest and world schemes; NOAUTH for others", async () => {
    const alice = await session({ user: "alice", password: "secret" });
    const bob = await session({ user: "bob", password: "pw" });
    await alice.create("/acl", { data: "private", acl: Acls.CREATOR_ALL });
    const { acl, stat } = await alice.getAcl("/acl");
    expect(acl).toEqual([{ scheme: "digest", id: await digestId("alice", "secret"), perms: "cdrwa" }]);
    expect(stat.aversion).toBe(0);
    const denied = await bob.getData("/acl").catch((e) => e);
    expect(denied).toBeInstanceOf(NoAuthError);
    expect([denied.code, denied.zkCode, denied.status]).toEqual(["NOAUTH", -102, 403]);

    const after = await alice.setAcl("/acl", [...Acls.READ, { scheme: "digest", id: await digestId("alice", "secret"), perms: "cdrwa" }], 0);
    expect(after.aversion).toBe(1);
    expect(await bob.getText("/acl")).toBe("private");
    await expect(bob.setData("/acl", "no")).rejects.toBeInstanceOf(NoAuthError);
    await expect(alice.setAcl("/acl", Acls.OPEN, 0)).rejects.toBeInstanceOf(BadVersionError);
  });
});

describe("multi", { timeout: 120_000 }, () => {
  test("a builder commits all ops under one zxid; a failure applies none and says which op", async () => {
    const zk = await session();
    await zk.create("/m");
    const results = await zk
      .transaction()
      .create("/m/a", { data: "a" })
      .create("/m/a/b")
      .setData("/m/a", "a2", 0)
      .check("/m", 0)
      .create("/m/s-", { mode: "persistent_sequential" })
      .commit();
    expect(results.map((r) => [r.op, r.path])).toEqual([
      ["create", "/m/a"],
      ["create", "/m/a/b"],
      ["setData", "/m/a"],
      ["check", "/m"],
      ["create", "/m/s-0000000001"],
    ]);
    const zxids = results.flatMap((r) => ("stat" in r ? [r.stat.mzxid] : []));
    expect(new Set(zxids).size).toBe(1);
    expect(results[2]).toMatchObject({ stat: { version: 1 } });

    const failed = await zk.transaction().create("/m/c").delete("/m/a").check("/m", 0).commit().catch((e) => e);
    expect(failed).toBeInstanceOf(NotEmptyError);
    expect(failed.results.map((r: { code: string }) => r.code)).toEqual(["OK", "NOTEMPTY", "RUNTIMEINCONSISTENCY"]);
    expect(failed.failedOp).toBe(1);
    expect(await zk.exists("/m/c")).toBeNull();

    const read = await zk.multiRead([
      { op: "getData", path: "/m/a" },
      { op: "getChildren", path: "/m" },
      { op: "getData", path: "/m/none" },
    ]);
    expect(read[0]).toMatchObject({ op: "getData", path: "/m/a", stat: { version: 1 } });
    expect(toText((read[0] as { data: Uint8Array }).data)).toBe("a2");
    expect(read[1]).toMatchObject({ op: "getChildren", children: ["a", "s-0000000001"] });
    expect((read[2] as { error: ZkError }).error).toBeInstanceOf(NoNodeError);
  });
});

describe("sessions", { timeout: 120_000 }, () => {
  test("connected on start; close removes the ephemerals and says closed", async () => {
    const zk = client();
    const states: StateEvent[] = [];
    zk.on("state", (s) => states.push(s));
    const info = await zk.start();
    expect(info.timeoutMs).toBe(4000);
    expect(zk.state).toBe("connected");
    await zk.create("/s-close", { mode: "ephemeral" });
    await zk.close();
    expect(states).toEqual(["connected", "closed"]);
    const observer = client();
    expect(await observer.exists("/s-close")).toBeNull();
    await expect(zk.exists("/")).rejects.toMatchObject({ code: "CLOSED" });
  });

  test("close() while start() waits for the service's answer closes the session it opened", async () => {
    let opened!: (id: bigint) => void;
    const answered = new Promise<bigint>((resolve) => (opened = resolve));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
      const res = await globalThis.fetch(input, init);
      if (init?.method === "POST" && new URL(String(input)).pathname === "/v1/sessions") {
        opened(BigInt(((await res.clone().json()) as { id: string }).id));
        await gate;
      }
      return res;
    };
    const zk = client({ fetch });
    // The expectation is attached at once: start() fails while close() is still at work.
    const startFails = expect(zk.start()).rejects.toMatchObject({ code: "CLOSED" });
    const id = await answered;
    const closing = zk.close();
    release();
    await closing;
    await startFails;
    expect(zk.state).toBe("closed");
    const ping = await globalThis.fetch(`${svc.url}/v1/sessions/${id}/ping`, { method: "POST" });
    expect(ping.status).toBe(410);
  });

  test("pings keep a session alive past its timeout", async () => {
    const faulty = new FaultyFetch();
    const zk = await session({ fetch: faulty.fetch });
    await zk.create("/s-alive", { mode: "ephemeral" });
    // Four pings at a third of the 4 s timeout span more than the timeout.
    await until(() => faulty.count("POST /v1/sessions/") >= 4, "four pings");
    expect(zk.state).toBe("connected");
    expect((await client().exists("/s-alive"))?.ephemeralOwner).toBe(zk.sessionId);
  });

  test("only a ping brings a suspended session back: an answered read does not", async () => {
    const faulty = new FaultyFetch();
    const zk = await session({ fetch: faulty.fetch });
    // Every ping for a while is dropped; other requests go through.
    for (let i = 0; i < 100; i++) faulty.arm("drop", (method, url) => method === "POST" && url.endsWith("/ping"));
    await zk.when("suspended");
    expect(await zk.exists("/")).not.toBeNull();
    // The session was not kept alive by that read, so a holder's grace must keep running.
    expect(zk.state).toBe("suspended");
  });

  test("suspended while the service is stopped, connected when it is back", async () => {
    const zk = await session();
    const states: StateEvent[] = [];
    zk.on("state", (s) => states.push(s));
    await svc.stop();
    await zk.when("suspended");
    await svc.start();
    await zk.when("connected");
    expect(states).toEqual(["suspended", "connected"]);
    expect(await zk.getEphemerals()).toEqual([]);
  });

  test("suspended while etcd is down (503), connected when it is back; reads retried meanwhile", async () => {
    // Patient enough for etcd to restart on a loaded machine.
    let refusedReads = 0;
    const counting: FetchLike = async (input, init) => {
      const res = await fetch(input, init);
      if (res.status === 503 && (init.method ?? "GET") === "GET" && new URL(input).pathname === "/v1/znodes/s-etcd") refusedReads++;
      return res;
    };
    const zk = await session({ fetch: counting, sessionTimeoutMs: 10_000, retry: { retries: 400, baseDelayMs: 20, maxDelayMs: 300 } });
    await zk.create("/s-etcd", { data: "kept" });
    const states: StateEvent[] = [];
    zk.on("state", (s) => states.push(s));
    await etcd.members[0]!.stop();
    await zk.when("suspended");
    const read = zk.getText("/s-etcd");
    await until(() => refusedReads > 0, "the read answered 503 while etcd is down");
    await etcd.members[0]!.start();
    expect(await read).toBe("kept");
    await zk.when("connected");
    expect(states.slice(0, 2)).toEqual(["suspended", "connected"]);
  });

  test("expired (410) after the client could not ping for longer than the timeout", async () => {
    const faulty = new FaultyFetch();
    const zk = await session({ fetch: faulty.fetch });
    const states: StateEvent[] = [];
    zk.on("state", (s) => states.push(s));
    const { path } = await zk.create("/s-exp", { mode: "ephemeral" });
    const pending = zk.getData("/s-exp", { watch: true });
    const { watch } = await pending;
    faulty.partition();
    await zk.when("suspended");
    // The service expires the session (its ephemeral goes) while this client cannot reach it.
    const observer = client();
    await until(async () => (await observer.exists(path)) === null, "the session's ephemeral to go");
    faulty.partitioned = false;
    await zk.when("expired");
    expect(states).toEqual(["suspended", "expired"]);
    await expect(watch).rejects.toBeInstanceOf(SessionExpiredError);
    await expect(zk.create("/s-exp2", { mode: "ephemeral" })).rejects.toBeInstanceOf(SessionExpiredError);
    // A new session on the same client.
    await zk.start();
    expect(zk.state).toBe("connected");
    expect((await zk.create("/s-exp", { mode: "ephemeral" })).stat.ephemeralOwner).toBe(zk.sessionId);
  });
});

describe("watches", { timeout: 120_000 }, () => {
  test("one-shot data, children and exists watches fire once with the write's zxid", async () => {
    const zk = await session();
    await zk.create("/w1", { data: "0" });
    const d = await zk.getData("/w1", { watch: true });
    const c = await zk.getChildren("/w1", { watch: true });
    const e = await zk.watchExists("/w1/new");
    expect(e.stat).toBeNull();
    const set = await zk.setData("/w1", "1");
    expect(await d.watch).toEqual({ type: "NodeDataChanged", path: "/w1", zxid: set.mzxid });
    const made = await zk.create("/w1/new");
    expect(await c.watch).toEqual({ type: "NodeChildrenChanged", path: "/w1", zxid: made.stat.czxid });
    expect(await e.watch).toEqual({ type: "NodeCreated", path: "/w1/new", zxid: made.stat.czxid });
  });

  test("an exists watch on a missing node starts from the zxid of that answer, not from a later one the client saw meanwhile", async () => {
    const writer = await session();
    let zk!: ZkClient;
    let created: bigint | undefined;
    // Between the NONODE answer and the client reading it, the node is created
    // and another request of the same client hears of a zxid past that create.
    const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
      const res = await globalThis.fetch(input, init);
      if (created === undefined && String(input).includes("/v1/znodes/w-late/new")) {
        created = (await writer.create("/w-late/new")).stat.czxid;
        await zk.exists("/w-late");
        expect(zk.lastZxid).toBeGreaterThanOrEqual(created);
      }
      return res;
    };
    zk = await session({ fetch });
    await writer.create("/w-late");
    const e = await zk.watchExists("/w-late/new");
    expect(e.stat).toBeNull();
    expect(e.zxid).toBeLessThan(created!);
    expect(await e.watch).toEqual({ type: "NodeCreated", path: "/w-late/new", zxid: created });
  });

  test("a watch the service turns away for now (429: too many open) polls again and still fires", async () => {
    const busy = await startHttpService(etcd.endpoints[0]!, { ZK_PREFIX: `client-${process.pid}/`, ZK_MAX_WAITS_PER_CALLER: "1" });
    try {
      let refused = 0;
      const counting: FetchLike = async (input, init) => {
        const res = await fetch(input, init);
        if (res.status === 429) refused++;
        return res;
      };
      const zk = client({ fetch: counting }, busy.url);
      await zk.create("/busy");
      const first = await zk.getData("/busy", { watch: true });
      const second = await zk.getData("/busy", { watch: true });
      // One of the two polls holds this caller's only place; the other is answered 429 until it is free.
      await until(() => refused > 0, "a poll refused with 429");
      const set = await zk.setData("/busy", "1");
      const fired = { type: "NodeDataChanged", path: "/busy", zxid: set.mzxid };
      expect(await first.watch).toEqual(fired);
      expect(await second.watch).toEqual(fired);
    } finally {
      await busy.close();
    }
  });

  test("close() ends persistent watches and rejects pending one-shots; an aborted signal rejects with its reason", async () => {
    const zk = await session();
    await zk.create("/w3");
    const events = zk.addWatch("/w3")[Symbol.asyncIterator]();
    const { watch } = await zk.getData("/w3", { watch: true });
    const ctl = new AbortController();
    const aborted = zk.watch("/w3", "children", { signal: ctl.signal });
    const reason = new Error("not interested");
    ctl.abort(reason);
    await expect(aborted).rejects.toBe(reason);
    const set = await zk.setData("/w3", "1");
    expect(await watch).toEqual({ type: "NodeDataChanged", path: "/w3", zxid: set.mzxid });
    // The stream's event may still be on its way when the one-shot answers:
    // take it first, so what close() ends is an idle stream.
    expect((await events.next()).value).toEqual({ type: "NodeDataChanged", path: "/w3", zxid: set.mzxid });
    const next = events.next();
    const pending = zk.watch("/w3", "data");
    await zk.close();
    await expect(pending).rejects.toMatchObject({ code: "CLOSED" });
    expect(await next).toEqual({ done: true, value: undefined });
  });

  test("a persistent watch left early ends its event stream at once, not when the service would", async () => {
    // A service of its own: what it counts as open is this test's alone.
    const own = await startHttpService(etcd.endpoints[0]!, { ZK_PREFIX: `client-${process.pid}/` });
    try {
      const open = async () => ((await (await fetch(`${own.url}/v1/stats`)).json()) as { openWaits: number }).openWaits;
      const zk = await session({}, own.url);
      await zk.create("/left");
      const events = zk.addWatch("/left", { streamMs: 60_000 })[Symbol.asyncIterator]();
      const first = events.next();
      await until(async () => (await open()) === 1, "the stream to open");
      const set = await zk.setData("/left", "x");
      expect((await first).value).toEqual({ type: "NodeDataChanged", path: "/left", zxid: set.mzxid });
      await events.return!();
      // Well before the stream's own 60 s.
      await until(async () => (await open()) === 0, "the stream to end", 5000);
    } finally {
      await own.close();
    }
  });

  test("a persistent watch throws SessionExpiredError once its session is gone", async () => {
    const zk = await session();
    const events = zk.addWatch("/w4", { streamMs: 200 });
    const outcome = (async () => {
      for await (const e of events) void e;
    })().then(
      () => "ended",
      (e) => e,
    );
    // The session closed from elsewhere (as an expiry would end it): the next stream is refused with 410.
    const closed = await fetch(`${svc.url}/v1/sessions/${zk.sessionId}`, { method: "DELETE" });
    expect(closed.status).toBe(204);
    expect(await outcome).toBeInstanceOf(SessionExpiredError);
    await zk.when("expired");
  });

  test("a one-shot watch resumes from its zxid across 204s and across a stopped service", async () => {
    const faulty = new FaultyFetch();
    const zk = await session({ fetch: faulty.fetch });
    const writer = client({}, other.url);
    await zk.create("/w2", { data: "0" });
    const read = await zk.getData("/w2");
    const watch = zk.watch("/w2", "data", { zxid: read.zxid, pollMs: 50 });
    await until(() => faulty.count("GET /v1/watch/w2") >= 3, "three polls answered 204");
    await svc.stop();
    const polls = faulty.count("GET /v1/watch/w2");
    // Written while the watcher cannot reach its service.
    const set = await writer.setData("/w2", "1");
    await writer.setData("/w2", "2");
    await until(() => faulty.count("GET /v1/watch/w2") > polls, "a poll refused by the stopped service");
    await svc.start();
    // The first change after the read, though it happened while disconnected.
    expect(await watch).toEqual({ type: "NodeDataChanged", path: "/w2", zxid: set.mzxid });
  });

  test("a persistent watch delivers every event once, in order, across stream ends, a stopped service and a cut stream", async () => {
    const faulty = new FaultyFetch();
    const zk = await session({ fetch: faulty.fetch });
    const writer = client({}, other.url);
    await zk.create("/pw");
    const watch = zk.addWatch("/pw", { recursive: true, streamMs: 200 });
    const got: WatchEvent[] = [];
    const reading = (async () => {
      for await (const e of watch) {
        got.push(e);
        if (e.path === "/pw/end") break;
      }
    })();
    const expected: WatchEvent[] = [];
    await until(() => faulty.count("GET /v1/events/pw") >= 1, "the stream to open");
    const a = await writer.create("/pw/a", { data: "1" });
    expected.push({ type: "NodeCreated", path: "/pw/a", zxid: a.stat.czxid });
    await until(() => faulty.count("GET /v1/events/pw") >= 3, "two streams to end");
    const a2 = await writer.setData("/pw/a", "2");
    expected.push({ type: "NodeDataChanged", path: "/pw/a", zxid: a2.mzxid });

    await svc.stop();
    const b = await writer.create("/pw/b");
    expected.push({ type: "NodeCreated", path: "/pw/b", zxid: b.stat.czxid });
    await writer.delete("/pw/a");
    // After a write, ZK-Zxid is that write's zxid.
    expected.push({ type: "NodeDeleted", path: "/pw/a", zxid: writer.lastZxid });
    await svc.start();
    await until(() => got.length >= 4, "the events written while the service was stopped");

    // A multi's events share its zxid; the stream breaks off just after the first of them.
    faulty.cutStreamAfter('"path":"/pw/m1"');
    const m = await writer.transaction().create("/pw/m1").create("/pw/m2").create("/pw/m3").commit();
    const mz = m[0]!.op === "create" ? m[0]!.stat.czxid : -1n;
    for (const p of ["/pw/m1", "/pw/m2", "/pw/m3"]) expected.push({ type: "NodeCreated", path: p, zxid: mz });
    await until(() => faulty.cuts === 1, "the stream to be cut");
    const end = await writer.create("/pw/end");
    expected.push({ type: "NodeCreated", path: "/pw/end", zxid: end.stat.czxid });
    await reading;
    expect(got).toEqual(expected);
    expect(watch.zxid).toBeGreaterThanOrEqual(mz);
  });
});

describe("retries and writes whose answer is lost", { timeout: 120_000 }, () => {
  const isWrite = (method: string, path: string) => (m: string, url: string) => m === method && new URL(url).pathname === path;

  test("an unconditional setData whose answer is lost is ConnectionLoss with outcomeUnknown, applied once", async () => {
    const faulty = new FaultyFetch();
    const zk = client({ fetch: faulty.fetch });
    await zk.create("/r1", { data: "0" });
    faulty.arm("lose", isWrite("PUT", "/v1/znodes/r1"));
    const e = await zk.setData("/r1", "1").catch((err) => err);
    expect(e).toBeInstanceOf(ConnectionLossError);
    expect([e.code, e.zkCode, e.outcomeUnknown]).toEqual(["CONNECTIONLOSS", -4, true]);
    expect(faulty.count("PUT /v1/znodes/r1")).toBe(1);
    expect(await zk.exists("/r1")).toMatchObject({ version: 1 });
  });

  test("a setData dropped before it was sent is checked, then resent once", async () => {
    const faulty = new FaultyFetch();
    const zk = client({ fetch: faulty.fetch });
    await zk.create("/r2", { data: "0" });
    faulty.arm("drop", isWrite("PUT", "/v1/znodes/r2"));
    expect((await zk.setData("/r2", "1")).version).toBe(1);
    faulty.arm("drop", isWrite("PUT", "/v1/znodes/r2"));
    expect((await zk.setData("/r2", "2", 1)).version).toBe(2);
    expect(await zk.getText("/r2")).toBe("2");
    expect(faulty.count("PUT /v1/znodes/r2")).toBe(4);
  });

  test("a lost ephemeral create is found to be this session's; a lost persistent create is unknown", async () => {
    const faulty = new FaultyFetch();
    const zk = await session({ fetch: faulty.fetch });
    await zk.create("/r3");
    faulty.arm("lose", isWrite("POST", "/v1/znodes/r3/eph"));
    const eph = await zk.create("/r3/eph", { mode: "ephemeral" });
    expect(eph.stat.ephemeralOwner).toBe(zk.sessionId);
    expect(faulty.injected).toBe(1);
    faulty.arm("lose", isWrite("POST", "/v1/znodes/r3/p"));
    const e = await zk.create("/r3/p").catch((err) => err);
    expect(e).toMatchObject({ code: "CONNECTIONLOSS", outcomeUnknown: true });
    expect(faulty.injected).toBe(2);
    expect((await zk.getChildren("/r3")).children).toEqual(["eph", "p"]);
    expect(faulty.count("POST /v1/znodes/r3/")).toBe(2);
  });

  test("a lost protected sequential create is found by its marker, never made twice", async () => {
    const faulty = new FaultyFetch();
    const zk = await session({ fetch: faulty.fetch });
    await zk.create("/r4");
    faulty.arm("lose", (m, url) => m === "POST" && new URL(url).pathname.startsWith("/v1/znodes/r4/"));
    const made = await zk.create("/r4/job-", { mode: "ephemeral_sequential", protected: true });
    // The answer was lost, and the create was not sent again.
    expect([faulty.injected, faulty.count("POST /v1/znodes/r4/")]).toEqual([1, 1]);
    const { children } = await zk.getChildren("/r4");
    expect(children).toHaveLength(1);
    expect(made.path).toBe(`/r4/${children[0]}`);
    expect(children[0]).toMatch(/^_c_[0-9a-f-]{36}-job-0000000000$/);
  });

  test("a lost delete whose node is still there is resent; a lost multi is unknown", async () => {
    const faulty = new FaultyFetch();
    const zk = client({ fetch: faulty.fetch });
    await zk.create("/r5", { data: "x" });
    faulty.arm("drop", isWrite("DELETE", "/v1/znodes/r5"));
    await zk.delete("/r5");
    // Dropped before it was sent, then sent again.
    expect([faulty.injected, faulty.count("DELETE /v1/znodes/r5")]).toEqual([1, 2]);
    expect(await zk.exists("/r5")).toBeNull();
    faulty.arm("lose", isWrite("POST", "/v1/multi"));
    const e = await zk.transaction().create("/r5").create("/r5/a").commit().catch((err) => err);
    expect(e).toMatchObject({ code: "CONNECTIONLOSS", outcomeUnknown: true });
    expect([faulty.injected, faulty.count("POST /v1/multi")]).toEqual([2, 1]);
    expect((await zk.getChildren("/r5")).children).toEqual(["a"]);
  });

  test("reads and refused writes wait out a stopped service; with retries used up, ConnectionLoss", async () => {
    const faulty = new FaultyFetch();
    const zk = client({ fetch: faulty.fetch, retry: { retries: 400, baseDelayMs: 20, maxDelayMs: 300 } });
    await zk.create("/r6", { data: "v" });
    await svc.stop();
    const before = faulty.count("GET /v1/znodes/r6");
    const read = zk.getText("/r6");
    // Once reads are refused, no pooled connection to the old listener is left to carry the write.
    await until(() => faulty.count("GET /v1/znodes/r6") >= before + 2, "reads refused by the stopped service");
    const write = zk.create("/r6/new");
    await until(() => faulty.count("POST /v1/znodes/r6/new") >= 2, "the refused create to be retried");
    await svc.start();
    expect(await read).toBe("v");
    expect((await write).path).toBe("/r6/new");
    const impatient = client({ retry: { retries: 1, baseDelayMs: 1, maxDelayMs: 1 } });
    await svc.stop();
    const e = await impatient.getData("/r6").catch((err) => err);
    await svc.start();
    expect(e).toBeInstanceOf(ConnectionLossError);
    expect(e.outcomeUnknown).toBe(false);
  });
});
