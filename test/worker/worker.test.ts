// The Worker build under the real workerd (Miniflare's API), against a real
// etcd reached through its JSON gateway with fetch: what `wrangler deploy`
// ships, including the cron handler and the anonymous-caller guard.
//
// Expected values follow from ZooKeeper 3.8 semantics and docs/api.md: on a fresh
// key prefix the system tree is zxid 0, and every write (session open and
// close, failed writes and failed multis included) spends exactly one zxid.
import { bundleWorker, COMPATIBILITY_DATE } from "../support/worker.js";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEtcd, type EtcdServer } from "../support/etcd-server.js";


let etcd: EtcdServer;
let script: string;

beforeAll(async () => {
  const [server, bundle] = await Promise.all([
    startEtcd(),
    bundleWorker(),
  ]);
  etcd = server;
  script = bundle;
});

afterAll(async () => {
  await etcd?.stop();
});

function worker(bindings: Record<string, string>): Miniflare {
  return new Miniflare({
    modules: true,
    script,
    compatibilityDate: COMPATIBILITY_DATE,
    bindings: { ETCD_ENDPOINTS: etcd.endpoint, ...bindings },
    unsafeTriggerHandlers: true,
  });
}

interface Reply {
  status: number;
  headers: Headers;
  body: any;
  /** The ZK-Zxid header, which every response must carry. */
  zxid: string;
}

async function call(
  mf: Miniflare,
  method: string,
  path: string,
  init: { json?: unknown; headers?: Record<string, string> } = {},
): Promise<Reply> {
  const headers: Record<string, string> = { ...init.headers };
  let body: string | undefined;
  if (init.json !== undefined) {
    body = JSON.stringify(init.json);
    headers["content-type"] = "application/json";
  }
  const res = await mf.dispatchFetch(`http://zk.test${path}`, { method, headers, body });
  const text = await res.text();
  const type = res.headers.get("content-type") ?? "";
  const zxid = res.headers.get("zk-zxid");
  expect(zxid, `${method} ${path}: ZK-Zxid header`).not.toBeNull();
  expect(zxid, `${method} ${path}: ZK-Zxid is a decimal`).toMatch(/^(0|[1-9]\d*)$/);
  return { status: res.status, headers: res.headers, body: type.includes("json") && text ? JSON.parse(text) : text, zxid: zxid! };
}

interface ScheduledFetcher {
  scheduled(options: { cron?: string; scheduledTime?: Date }): Promise<{ outcome: string; noRetry: boolean }>;
}

const b64 = (s: string) => Buffer.from(s).toString("base64");

/** A stat with ZooKeeper's defaults for a fresh persistent node, overridden by `fields`. */
const stat = (fields: Record<string, unknown>) =>
  expect.objectContaining({
    version: 0,
    cversion: 0,
    aversion: 0,
    ephemeralOwner: "0",
    numChildren: 0,
    ...fields,
  });

describe("Worker under workerd, anonymous callers allowed", () => {
  let mf: Miniflare;

  beforeAll(async () => {
    mf = worker({ ZK_PREFIX: "w/", ZK_ALLOW_ANONYMOUS: "true" });
    await mf.ready;
  });

  afterAll(async () => {
    await mf?.dispose();
  });

  // The steps build on each other (one tree, one zxid sequence), so they run in order.
  let session = "";

  it("answers a fresh root as a fresh ZooKeeper does (zxid 0)", async () => {
    const r = await call(mf, "GET", "/v1/znodes/");
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      path: "/",
      data: "",
      stat: {
        czxid: "0",
        mzxid: "0",
        pzxid: "0",
        ctime: 0,
        mtime: 0,
        version: 0,
        cversion: -1,
        aversion: 0,
        ephemeralOwner: "0",
        dataLength: 0,
        numChildren: 1,
      },
    });
    expect(r.zxid).toBe("0");
    const children = await call(mf, "GET", "/v1/znodes?view=children");
    expect(children.body.children).toEqual(["zookeeper"]);
  });

  it("opens a session: the first write, zxid 1", async () => {
    const r = await call(mf, "POST", "/v1/sessions", { json: { timeoutMs: 10_000 } });
    expect(r.status).toBe(201);
    expect(r.body.id).toMatch(/^[1-9]\d*$/);
    expect(r.body.timeoutMs).toBe(10_000);
    expect(r.headers.get("location")).toBe(`/v1/sessions/${r.body.id}`);
    expect(r.zxid).toBe("1");
    session = r.body.id;
  });

  it("creates a persistent node (czxid 2) and an ephemeral child (czxid 3)", async () => {
    const p = await call(mf, "POST", "/v1/znodes/app", { json: { data: b64("hello") } });
    expect(p.status).toBe(201);
    expect(p.body).toEqual({ path: "/app", stat: stat({ czxid: "2", mzxid: "2", pzxid: "2", dataLength: 5 }) });
    expect(p.headers.get("location")).toBe("/v1/znodes/app");
    expect(p.zxid).toBe("2");

    const e = await call(mf, "POST", "/v1/znodes/app/eph", {
      json: { data: b64("e"), mode: "ephemeral" },
      headers: { "ZK-Session": session },
    });
    expect(e.status).toBe(201);
    expect(e.body).toEqual({ path: "/app/eph", stat: stat({ czxid: "3", mzxid: "3", pzxid: "3", ephemeralOwner: session, dataLength: 1 }) });
    expect(e.zxid).toBe("3");
  });

  it("reads data as base64 and utf8, with the parent's stat moved by the child", async () => {
    const r = await call(mf, "GET", "/v1/znodes/app");
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      path: "/app",
      data: b64("hello"),
      stat: stat({ czxid: "2", mzxid: "2", pzxid: "3", cversion: 1, numChildren: 1, dataLength: 5 }),
    });
    expect(r.body.stat.ctime).toBe(r.body.stat.mtime);
    expect(r.zxid).toBe("3"); // reads spend no zxid

    const u = await call(mf, "GET", "/v1/znodes/app?encoding=utf8");
    expect(u.body.data).toBe("hello");
  });

  it("lists children", async () => {
    const app = await call(mf, "GET", "/v1/znodes/app?view=children");
    expect(app.status).toBe(200);
    expect(app.body).toEqual({ path: "/app", children: ["eph"], stat: stat({ czxid: "2", pzxid: "3", cversion: 1, numChildren: 1, dataLength: 5 }) });

    const root = await call(mf, "GET", "/v1/znodes/?view=children");
    expect(root.body.children).toEqual(["app", "zookeeper"]);
    // One child created since the fresh tree's −1.
    expect(root.body.stat).toMatchObject({ czxid: "0", pzxid: "2", cversion: 0, numChildren: 2 });
  });

  it("sets data with a version, and refuses a stale one with 412 BADVERSION (spending a zxid)", async () => {
    const ok = await call(mf, "PUT", "/v1/znodes/app?version=0", { json: { data: b64("v2") } });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ path: "/app", stat: stat({ czxid: "2", mzxid: "4", pzxid: "3", version: 1, cversion: 1, numChildren: 1, dataLength: 2 }) });
    expect(ok.zxid).toBe("4");

    const stale = await call(mf, "PUT", "/v1/znodes/app?version=0", { json: { data: b64("v3") } });
    expect(stale.status).toBe(412);
    expect(stale.body).toMatchObject({ code: "BADVERSION", zkCode: -103, path: "/app" });
    expect(stale.zxid).toBe("5"); // ZooKeeper's error txn

    const after = await call(mf, "GET", "/v1/znodes/app?encoding=utf8");
    expect(after.body.data).toBe("v2");
    expect(after.body.stat).toMatchObject({ version: 1, mzxid: "4" });
  });

  it("deletes with a version: 204, then NONODE", async () => {
    const c = await call(mf, "POST", "/v1/znodes/app/tmp", { json: {} });
    expect(c.body.stat.czxid).toBe("6");
    const d = await call(mf, "DELETE", "/v1/znodes/app/tmp?version=0");
    expect(d.status).toBe(204);
    expect(d.body).toBe("");
    expect(d.zxid).toBe("7");

    const gone = await call(mf, "GET", "/v1/znodes/app/tmp");
    expect(gone.status).toBe(404);
    expect(gone.body).toMatchObject({ code: "NONODE", zkCode: -101, path: "/app/tmp" });
    // Create and delete each count in the parent's cversion.
    const parent = await call(mf, "GET", "/v1/znodes/app?view=stat");
    expect(parent.body.stat).toMatchObject({ cversion: 3, pzxid: "7", numChildren: 1 });
  });

  it("commits a multi atomically in one zxid", async () => {
    const r = await call(mf, "POST", "/v1/multi", {
      json: {
        ops: [
          { op: "create", path: "/m", data: b64("m") },
          { op: "setData", path: "/app", data: b64("v3"), version: 1 },
          { op: "check", path: "/app", version: 2 },
          { op: "create", path: "/m/c" },
        ],
      },
    });
    expect(r.status).toBe(200);
    expect(r.zxid).toBe("8");
    expect(r.body.results).toHaveLength(4);
    // A create's stat is the node's as created (ZooKeeper copies it then), before /m/c was added.
    expect(r.body.results[0]).toEqual({ op: "create", path: "/m", stat: stat({ czxid: "8", mzxid: "8", pzxid: "8", dataLength: 1 }) });
    expect(r.body.results[1]).toMatchObject({ op: "setData", path: "/app", stat: { czxid: "2", mzxid: "8", version: 2, dataLength: 2 } });
    expect(r.body.results[2]).toMatchObject({ op: "check", path: "/app" });
    expect(r.body.results[3]).toEqual({ op: "create", path: "/m/c", stat: stat({ czxid: "8", mzxid: "8", pzxid: "8" }) });
  });

  it("fails a multi as a whole, with ZooKeeper's per-op codes (and one zxid)", async () => {
    const r = await call(mf, "POST", "/v1/multi", {
      json: {
        ops: [
          { op: "create", path: "/n" },
          { op: "check", path: "/app", version: 99 },
          { op: "delete", path: "/m/c" },
        ],
      },
    });
    expect(r.status).toBe(412);
    expect(r.body).toMatchObject({ code: "BADVERSION", zkCode: -103 });
    expect(r.body.results.map((x: { code: string }) => x.code)).toEqual(["OK", "BADVERSION", "RUNTIMEINCONSISTENCY"]);
    expect(r.zxid).toBe("9");

    expect((await call(mf, "GET", "/v1/znodes/n")).status).toBe(404);
    expect((await call(mf, "GET", "/v1/znodes/m/c")).status).toBe(200);
  });

  it("answers multi/read op by op", async () => {
    const r = await call(mf, "POST", "/v1/multi/read", {
      json: {
        ops: [
          { op: "getData", path: "/app" },
          { op: "getChildren", path: "/m" },
          { op: "getData", path: "/missing" },
        ],
      },
    });
    expect(r.status).toBe(200);
    expect(r.zxid).toBe("9");
    const [data, children, missing] = r.body.results;
    expect(data).toMatchObject({ op: "getData", path: "/app", data: b64("v3"), stat: { version: 2, mzxid: "8" } });
    expect(children).toMatchObject({ op: "getChildren", path: "/m", children: ["c"], stat: { numChildren: 1 } });
    expect(missing).toMatchObject({ op: "getData", path: "/missing", error: { code: "NONODE", zkCode: -101 } });

    const none = await call(mf, "POST", "/v1/multi/read", { json: { ops: [] } });
    expect(none.status).toBe(200);
    expect(none.body).toEqual({ results: [] });
    expect(none.zxid).toBe("9"); // the last zxid applied, though no op read anything
  });

  it("reports the default ACL", async () => {
    const r = await call(mf, "GET", "/v1/acl/app");
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      path: "/app",
      acl: [{ perms: "cdrwa", scheme: "world", id: "anyone" }],
      stat: expect.objectContaining({ czxid: "2", aversion: 0 }),
    });
  });

  it("inspects, pings and closes the session; its ephemeral goes with it", async () => {
    const info = await call(mf, "GET", `/v1/sessions/${session}`);
    expect(info.status).toBe(200);
    expect(info.body).toEqual({ id: session, timeoutMs: 10_000, ephemerals: ["/app/eph"] });

    const ping = await call(mf, "POST", `/v1/sessions/${session}/ping`);
    expect(ping.status).toBe(200);
    expect(ping.body).toEqual({ id: session, timeoutMs: 10_000 });
    expect(ping.zxid).toBe("9"); // pings spend none

    const close = await call(mf, "DELETE", `/v1/sessions/${session}`);
    expect(close.status).toBe(204);
    expect(close.zxid).toBe("10");

    expect((await call(mf, "GET", "/v1/znodes/app/eph")).status).toBe(404);
    const parent = await call(mf, "GET", "/v1/znodes/app?view=children");
    expect(parent.body.children).toEqual([]);
    // The close's zxid is the parent's pzxid; the removal counts in cversion.
    expect(parent.body.stat).toMatchObject({ cversion: 4, pzxid: "10", numChildren: 0 });

    const again = await call(mf, "GET", `/v1/sessions/${session}`);
    expect(again.status).toBe(410);
    expect(again.body).toMatchObject({ code: "SESSIONEXPIRED", zkCode: -112 });
    expect((await call(mf, "POST", `/v1/sessions/${session}/ping`)).status).toBe(410);
  });

  it("serves /v1/stats, /healthz, /openapi.json and /docs", async () => {
    const stats = await call(mf, "GET", "/v1/stats");
    expect(stats.status).toBe(200);
    // /, /zookeeper, /zookeeper/quota, /zookeeper/config, /app, /m, /m/c.
    expect(stats.body).toMatchObject({ znodeCount: 7, ephemeralCount: 0, liveSessions: 0, lastZxid: "10" });
    expect(stats.zxid).toBe("10");

    const health = await call(mf, "GET", "/healthz");
    expect(health.status).toBe(200);
    expect(health.zxid).toBe("10");

    const spec = await call(mf, "GET", "/openapi.json");
    expect(spec.status).toBe(200);
    expect(spec.body.openapi).toMatch(/^3\./);
    expect(Object.keys(spec.body.paths ?? {}).length).toBeGreaterThan(0);
    expect(spec.zxid).toBe("10");

    const docs = await call(mf, "GET", "/docs");
    expect(docs.status).toBe(200);
    expect(docs.headers.get("content-type")).toMatch(/^text\/html/);
    expect(docs.zxid).toBe("10");
  });

  it("answers an unknown route 404 NOTFOUND and a wrong method 405 with Allow", async () => {
    const nf = await call(mf, "GET", "/v1/nope");
    expect(nf.status).toBe(404);
    expect(nf.body).toMatchObject({ code: "NOTFOUND", zkCode: null });

    const na = await call(mf, "PATCH", "/v1/znodes/app", { json: {} });
    expect(na.status).toBe(405);
    expect(na.body).toMatchObject({ code: "METHODNOTALLOWED", zkCode: null });
    const allow = (na.headers.get("allow") ?? "").split(/\s*,\s*/).sort();
    expect(allow).toEqual(["DELETE", "GET", "HEAD", "POST", "PUT"]);
    expect(na.zxid).toBe("10"); // refused requests spend nothing
  });

  it("runs the cron handler", async () => {
    // Typed by hand: miniflare's Fetcher type needs @cloudflare/workers-types, not a dependency here.
    const fetcher = (await mf.getWorker()) as unknown as ScheduledFetcher;
    const result = await fetcher.scheduled({ cron: "* * * * *" });
    expect(result.outcome).toBe("ok");
    // Bookkeeping is invisible: the zxid sequence did not move.
    expect((await call(mf, "GET", "/v1/stats")).body.lastZxid).toBe("10");
  });

  it("keeps its state under its key prefix", async () => {
    const res = await fetch(`${etcd.endpoint}/v3/kv/range`, {
      method: "POST",
      body: JSON.stringify({ key: b64("\0"), range_end: b64("\0"), keys_only: true }),
    });
    const keys = (((await res.json()) as { kvs?: { key: string }[] }).kvs ?? []).map((kv) => Buffer.from(kv.key, "base64").toString());
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.filter((k) => !k.startsWith("w/") && !k.startsWith("w2/"))).toEqual([]);
  });
});

describe("Worker under workerd, default bindings (no ZK_ALLOW_ANONYMOUS)", () => {
  let mf: Miniflare;

  beforeAll(async () => {
    mf = worker({ ZK_PREFIX: "w2/" });
    await mf.ready;
  });

  afterAll(async () => {
    await mf?.dispose();
  });

  it("refuses an anonymous caller with 401 AUTHFAILED", async () => {
    const r = await call(mf, "GET", "/v1/znodes/");
    expect(r.status).toBe(401);
    expect(r.body).toMatchObject({ code: "AUTHFAILED", zkCode: -115 });
    expect(r.headers.get("www-authenticate")).toMatch(/^Basic /);
  });

  it("serves a caller with Basic credentials, and /healthz to anyone", async () => {
    const auth = { Authorization: `Basic ${b64("alice:secret")}` };
    const r = await call(mf, "GET", "/v1/znodes/", { headers: auth });
    expect(r.status).toBe(200);
    expect(r.body.stat).toMatchObject({ czxid: "0", cversion: -1, numChildren: 1 });

    expect((await call(mf, "GET", "/healthz")).status).toBe(200);
  });
});

describe("Worker under workerd: watches over the gateway's streamed etcd watch", () => {
  let mf: Miniflare;

  beforeAll(async () => {
    mf = worker({ ZK_PREFIX: "w3/", ZK_ALLOW_ANONYMOUS: "true" });
    await mf.ready;
  });

  afterAll(async () => {
    await mf?.dispose();
  });

  it("answers an event already in history, waits for one to come, and times out with 204", async () => {
    await call(mf, "POST", "/v1/znodes/a");
    const read = await call(mf, "GET", "/v1/znodes/a");
    const set = await call(mf, "PUT", "/v1/znodes/a", { json: { data: b64("1") } });
    expect((await call(mf, "GET", `/v1/watch/a?type=data&zxid=${read.zxid}`)).body).toEqual({ type: "NodeDataChanged", path: "/a", zxid: set.body.stat.mzxid });

    const quiet = await call(mf, "GET", `/v1/watch/a?type=children&zxid=${set.zxid}&timeoutMs=300`);
    expect(quiet.status).toBe(204);
    expect(quiet.zxid).toBe(set.zxid);

    const waiting = call(mf, "GET", `/v1/watch/a?type=children&zxid=${set.zxid}&timeoutMs=20000`);
    await new Promise((r) => setTimeout(r, 300));
    const child = await call(mf, "POST", "/v1/znodes/a/kid");
    expect((await waiting).body).toEqual({ type: "NodeChildrenChanged", path: "/a", zxid: child.body.stat.czxid });
  });
});
