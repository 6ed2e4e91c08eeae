// Deployment limits and the admin gate (issue 14): each limit is a
// configuration variable, and a caller over it gets a clear 4xx; /v1/stats
// takes an admin credential whenever anonymous callers are refused.
import { beforeAll, describe, expect, test } from "vitest";
import { Keys } from "../../lib/keys.js";
import type { Etcd, RequestOp } from "../../lib/etcd/types.js";
import { etcdPerFile } from "../support/suite.js";
import { b64, service, TRANSPORTS } from "../support/service.js";

const etcd = etcdPerFile();
const basic = (user: string, password: string) => ({ authorization: `Basic ${b64(`${user}:${password}`)}` });

describe("the admin gate", () => {
  const svc = (vars: Record<string, string>) => service(etcd.client("grpc"), vars);

  test("anonymous refused and no ZK_ADMIN_CREDENTIALS: /v1/stats is closed to everyone; /healthz stays open and says only up", async () => {
    const { call } = svc({ ZK_ALLOW_ANONYMOUS: "false", ZK_API_CREDENTIALS: "app:pw" });
    const health = await call("GET", "/healthz");
    expect([health.status, health.body]).toEqual([200, { status: "ok" }]);
    const anon = await call("GET", "/v1/stats");
    expect([anon.status, anon.body.code]).toEqual([401, "AUTHFAILED"]);
    const app = await call("GET", "/v1/stats", { headers: basic("app", "pw") });
    expect([app.status, app.body.code, app.body.zkCode]).toEqual([403, "NOAUTH", -102]);
    expect(app.body.message).toContain("ZK_ADMIN_CREDENTIALS");
    expect((await call("GET", "/v1/znodes/", { headers: basic("app", "pw") })).status).toBe(200);
  });

  test("with ZK_ADMIN_CREDENTIALS: only its credentials read /v1/stats, and they are callers like any other", async () => {
    const { call } = svc({ ZK_ALLOW_ANONYMOUS: "false", ZK_API_CREDENTIALS: "app:pw", ZK_ADMIN_CREDENTIALS: "ops:s3cret,ops2:other" });
    const ok = await call("GET", "/v1/stats", { headers: basic("ops", "s3cret") });
    expect(ok.status).toBe(200);
    expect(typeof ok.body.lastZxid).toBe("string");
    expect((await call("GET", "/v1/stats", { headers: basic("ops2", "other") })).status).toBe(200);
    const app = await call("GET", "/v1/stats", { headers: basic("app", "pw") });
    expect([app.status, app.body.code]).toEqual([403, "NOAUTH"]);
    const wrong = await call("GET", "/v1/stats", { headers: basic("ops", "s3cret!") });
    expect([wrong.status, wrong.body.code]).toEqual([401, "AUTHFAILED"]);
    const none = await call("GET", "/v1/stats");
    expect([none.status, none.body.code, none.headers.get("www-authenticate")]).toEqual([401, "AUTHFAILED", 'Basic realm="zookeeper"']);
    expect((await call("GET", "/v1/znodes/", { headers: basic("ops", "s3cret") })).status).toBe(200);
  });

  test("anonymous allowed: /v1/stats is open without ZK_ADMIN_CREDENTIALS, and closed to all but its credentials with it", async () => {
    expect((await svc({ ZK_ALLOW_ANONYMOUS: "true" }).call("GET", "/v1/stats")).status).toBe(200);
    const { call } = svc({ ZK_ALLOW_ANONYMOUS: "true", ZK_ADMIN_CREDENTIALS: "ops:s3cret" });
    expect((await call("GET", "/v1/stats")).status).toBe(401);
    expect((await call("GET", "/v1/stats", { headers: basic("someone", "x") })).status).toBe(403);
    expect((await call("GET", "/v1/stats", { headers: basic("ops", "s3cret") })).status).toBe(200);
    expect((await call("GET", "/v1/znodes/")).status).toBe(200);
  });
});

describe.each(TRANSPORTS)("limits over %s", (transport) => {
  test("ZK_MAX_BODY_BYTES: 413 before the body is read, by Content-Length or while it streams", async () => {
    const { app, call } = service(etcd.client(transport), { ZK_MAX_BODY_BYTES: "1000" });
    const body = JSON.stringify({ ops: [{ op: "create", path: "/x", data: b64("y".repeat(800)) }] });
    expect(body.length).toBeGreaterThan(1000);
    const byLength = await call("POST", "/v1/multi", { body, headers: { "content-type": "application/json" } });
    expect([byLength.status, byLength.body.code]).toEqual([413, "TOOLARGE"]);
    expect(byLength.body.message).toContain("ZK_MAX_BODY_BYTES");
    // A body with no Content-Length is cut off where it passes the limit.
    const chunks = [new TextEncoder().encode(body.slice(0, 600)), new TextEncoder().encode(body.slice(600))];
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = chunks.shift();
        if (next) controller.enqueue(next);
        else controller.close();
      },
    });
    const res = await app.request(new Request("http://localhost/v1/multi", { method: "POST", body: stream, headers: { "content-type": "application/json" }, duplex: "half" } as RequestInit));
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ code: "TOOLARGE", zkCode: null });
    expect((await call("GET", "/v1/znodes/x")).status).toBe(404);
    // The limit binds every route, multi/read's own larger one too.
    const reads = JSON.stringify({ ops: Array.from({ length: 60 }, () => ({ op: "getData", path: "/" })) });
    expect((await call("POST", "/v1/multi/read", { body: reads, headers: { "content-type": "application/json" } })).status).toBe(413);
  });

  test("ZK_MAX_MULTI_OPS: a multi or multi/read with more ops is 413 and spends nothing", async () => {
    const { call } = service(etcd.client(transport), { ZK_MAX_MULTI_OPS: "3" });
    const before = (await call("GET", "/v1/znodes/?view=stat")).zxid;
    const four = await call("POST", "/v1/multi", { json: { ops: [1, 2, 3, 4].map((i) => ({ op: "create", path: `/m${i}` })) } });
    expect([four.status, four.body.code]).toEqual([413, "TOOLARGE"]);
    expect(four.body.message).toContain("ZK_MAX_MULTI_OPS");
    expect((await call("GET", "/v1/znodes/?view=stat")).zxid).toBe(before);
    expect((await call("POST", "/v1/multi/read", { json: { ops: [1, 2, 3, 4].map(() => ({ op: "getData", path: "/" })) } })).status).toBe(413);
    expect((await call("POST", "/v1/multi", { json: { ops: [1, 2, 3].map((i) => ({ op: "create", path: `/m${i}` })) } })).status).toBe(200);
  });

  test("ZK_MAX_WAITS_PER_CALLER and ZK_MAX_WAITS: long polls and event streams past either are 429 with Retry-After", async () => {
    const { call } = service(etcd.client(transport), { ZK_MAX_WAITS_PER_CALLER: "2", ZK_MAX_WAITS: "3" });
    await call("POST", "/v1/znodes/w");
    const zxid = (await call("GET", "/v1/znodes/w")).zxid;
    const poll = (who: string, timeoutMs = 60_000) => call("GET", `/v1/watch/w?type=data&zxid=${zxid}&timeoutMs=${timeoutMs}`, { headers: basic(who, "pw") });
    /** How a poll that had to keep waiting ended before its time: the failure to report instead of a timeout. */
    let endedEarly: string | undefined;
    let holding = true;
    const hold = (who: string) => {
      const p = poll(who);
      const early = (what: string) => {
        if (holding) endedEarly ??= what;
      };
      p.then((r) => early(`${r.status} ${JSON.stringify(r.body)}`), (e: unknown) => early(String(e)));
      return p;
    };
    /**
     * Until `n` polls have taken their places (as /v1/stats counts them), then
     * one probe. Probing alone would race the held polls for the places.
     */
    const refusedOnce = async (n: number, who: string) => {
      const started = Date.now();
      for (;;) {
        if (endedEarly !== undefined) throw new Error(`a held poll ended early: ${endedEarly}`);
        if ((await call("GET", "/v1/stats")).body.openWaits === n) break;
        if (Date.now() - started > 30_000) throw new Error(`the held polls never took their ${n} places`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return poll(who, 1);
    };
    const a = [hold("a"), hold("a")];
    const refused = await refusedOnce(2, "a");
    expect([refused.status, refused.body.code, refused.body.zkCode, refused.headers.get("retry-after")]).toEqual([429, "TOOMANYREQUESTS", null, "1"]);
    expect(refused.body.message).toContain("ZK_MAX_WAITS_PER_CALLER");
    // An event stream counts with the polls.
    const stream = await call("GET", "/v1/events/w?timeoutMs=1", { headers: basic("a", "pw") });
    expect([stream.status, stream.body.code]).toEqual([429, "TOOMANYREQUESTS"]);
    // Another caller has places of its own, up to the process's bound.
    const b = hold("b");
    const full = await refusedOnce(3, "c");
    expect(full.body.message).toContain("ZK_MAX_WAITS");
    expect(full.body.message).not.toContain("PER_CALLER");
    // The polls end with the change they wait for, and give their places back.
    holding = false;
    expect((await call("PUT", "/v1/znodes/w", { json: { data: b64("x") } })).status).toBe(200);
    for (const r of await Promise.all([...a, b])) expect([r.status, r.body.type]).toEqual([200, "NodeDataChanged"]);
    expect((await call("GET", "/v1/stats")).body.openWaits).toBe(0);
    expect((await poll("a", 1)).status).toBe(200);
    const sse = await call("GET", `/v1/events/w?timeoutMs=1`, { headers: basic("a", "pw") });
    expect(sse.status).toBe(200);
  }, 60_000);
});

describe("a znode with 100,000 children", () => {
  const N = 100_000;
  const name = (i: number) => `c${String(i).padStart(6, "0")}`;
  let raw: Etcd;
  let prefix: string;

  const LONG = "-a-name-long-enough-to-pass-4-MiB-in-all";
  /** N children of `parent`: one through the API, the rest byte copies of the four keys it wrote (etcd holds no path in a value), put straight into etcd. */
  async function fill(call: ReturnType<typeof service>["call"], parent: string, suffix: string): Promise<void> {
    expect((await call("POST", `/v1/znodes${parent}`)).status).toBe(201);
    expect((await call("POST", `/v1/znodes${parent}/${name(0)}${suffix}`)).status).toBe(201);
    const keys = new Keys(prefix);
    const parts = (path: string) => [keys.node(path), keys.creations(path), keys.deletions(path), keys.acl(path)];
    const got = await raw.txn({ success: parts(`${parent}/${name(0)}${suffix}`).map((key) => ({ range: { key } })) });
    const values = got.responses.map((r) => ("range" in r ? r.range.kvs[0]!.value : undefined)!);
    expect(values).toHaveLength(4);
    const puts: RequestOp[] = [];
    for (let i = 1; i < N; i++) parts(`${parent}/${name(i)}${suffix}`).forEach((key, k) => puts.push({ put: { key, value: values[k]! } }));
    const batch = 8_000;
    for (let at = 0; at < puts.length; at += batch) await raw.txn({ success: puts.slice(at, at + batch) });
  }

  beforeAll(async () => {
    raw = etcd.client("grpc");
    const { call, prefix: p } = service(raw, { ZK_PREFIX: "k/" });
    prefix = p;
    await fill(call, "/big", "");
    await fill(call, "/long", LONG);
  }, 300_000);

  test.each(TRANSPORTS)("over ZK_MAX_CHILDREN (default 50,000): 413 TOOLARGE; its stat still counts them (%s)", async (transport) => {
    const { call } = service(etcd.client(transport), { ZK_PREFIX: prefix });
    const stat = await call("GET", "/v1/znodes/big?view=stat");
    expect(stat.body.stat.numChildren).toBe(N);
    const r = await call("GET", "/v1/znodes/big?view=children");
    expect([r.status, r.body.code, r.body.zkCode, r.body.path]).toEqual([413, "TOOLARGE", null, "/big"]);
    expect(r.body.message).toContain("ZK_MAX_CHILDREN");
    const read = await call("POST", "/v1/multi/read", { json: { ops: [{ op: "getChildren", path: "/big" }, { op: "getData", path: "/big" }] } });
    expect(read.status).toBe(200);
    expect(read.body.results[0].error).toMatchObject({ code: "TOOLARGE", status: 413 });
    expect(read.body.results[1].stat.numChildren).toBe(N);
  }, 120_000);

  test.each(TRANSPORTS)("within a raised ZK_MAX_CHILDREN: every name, sorted (%s)", async (transport) => {
    const { call } = service(etcd.client(transport), { ZK_PREFIX: prefix, ZK_MAX_CHILDREN: String(N) });
    const r = await call("GET", "/v1/znodes/big?view=children");
    expect(r.status).toBe(200);
    expect(r.body.children).toHaveLength(N);
    expect(r.body.children[0]).toBe(name(0));
    expect(r.body.children[N - 1]).toBe(name(N - 1));
    expect(r.body.stat.numChildren).toBe(N);
    // Names this long make a listing of 100,000 larger than gRPC's 4 MiB message: the
    // Node server's transport refuses it (413, nothing else happens); the gateway lists it.
    const long = await call("GET", "/v1/znodes/long?view=children");
    if (transport === "grpc") {
      expect([long.status, long.body.code]).toEqual([413, "TOOLARGE"]);
      expect(long.body.message).toContain("ZK_MAX_CHILDREN");
    } else {
      expect([long.status, long.body.children?.length, long.body.children?.[N - 1]]).toEqual([200, N, name(N - 1) + LONG]);
    }
    // One more than the bound is refused.
    const under = service(etcd.client(transport), { ZK_PREFIX: prefix, ZK_MAX_CHILDREN: String(N - 1) });
    expect((await under.call("GET", "/v1/znodes/big?view=children")).status).toBe(413);
  }, 120_000);
});
