// Hostile and odd requests that once got a 5xx, an answer the contract does
// not name, or no JSON error (issue 14), each against the Node server as
// `npm run serve` runs it, over real sockets, on an etcd with its default
// limits (--max-txn-ops 128, --max-request-bytes 1.5 MiB).
import net from "node:net";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startEtcd, type EtcdServer } from "../support/etcd-server.js";
import { startNodeServer, type NodeServer } from "../support/node-server.js";
import { etcdClient, service } from "../support/service.js";

let etcd: EtcdServer;
let server: NodeServer;

beforeAll(async () => {
  etcd = await startEtcd({ maxTxnOps: 128 });
  server = await startNodeServer({ ETCD_ENDPOINTS: etcd.endpoint, ZK_ALLOW_ANONYMOUS: "true", ZK_PREFIX: "hardening/" });
}, 90_000);

afterAll(async () => {
  await server?.stop();
  await etcd?.stop();
});

interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

async function call(method: string, path: string, json?: unknown): Promise<Answer> {
  const res = await fetch(server.url + path, {
    method,
    headers: json === undefined ? {} : { "content-type": "application/json" },
    body: json === undefined ? undefined : JSON.stringify(json),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

const lastZxid = async () => BigInt((await call("GET", "/v1/znodes/?view=stat")).headers.get("zk-zxid")!);

/** Sends `raw` bytes on a fresh connection and parses the one response. */
function rawRequest(raw: string): Promise<{ status: number; headers: Map<string, string>; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(server.port, "127.0.0.1");
    let got = "";
    socket.setEncoding("latin1");
    socket.on("data", (d) => (got += d));
    socket.on("error", reject);
    socket.on("end", () => {
      const [head, ...rest] = got.split("\r\n\r\n");
      const lines = head!.split("\r\n");
      const headers = new Map(lines.slice(1).map((l) => [l.slice(0, l.indexOf(":")).toLowerCase(), l.slice(l.indexOf(":") + 1).trim()] as [string, string]));
      resolve({ status: Number(lines[0]!.split(" ")[1]), headers, body: rest.join("\r\n\r\n") });
    });
    socket.write(raw, "latin1");
  });
}

describe("a multi of 10,000 creates (issue 14, case 1)", () => {
  const creates = (parent: string) => Array.from({ length: 10_000 }, (_, i) => ({ op: "create", path: `${parent}/child-${String(i).padStart(5, "0")}`, data: "" }));

  test("by default: 413 TOOLARGE before etcd is asked, nothing written, no zxid spent", async () => {
    const ops = creates("/missing-parent");
    expect(JSON.stringify({ ops }).length).toBeGreaterThan(600_000);
    const before = await lastZxid();
    const r = await call("POST", "/v1/multi", { ops });
    expect([r.status, r.body.code, r.body.zkCode]).toEqual([413, "TOOLARGE", null]);
    expect(r.body.message).toContain("ZK_MAX_MULTI_OPS");
    expect(BigInt(r.headers.get("zk-zxid")!)).toBe(before);
    expect(await lastZxid()).toBe(before);
  });

  test.each(["grpc", "gateway"] as const)("with ZK_MAX_MULTI_OPS raised, a missing parent of op 0: ZooKeeper's NONODE with per-op results, one zxid (%s)", async (transport) => {
    const client = etcdClient(transport, [etcd.endpoint]);
    const svc = service(client, { ZK_MAX_MULTI_OPS: "10000" });
    const before = (await svc.call("GET", "/v1/znodes/?view=stat")).zxid;
    const r = await svc.call("POST", "/v1/multi", { json: { ops: creates("/missing-parent") } });
    expect([r.status, r.body.code, r.body.zkCode, r.body.path]).toEqual([409, "NONODE", -101, "/missing-parent/child-00000"]);
    expect(r.body.results).toHaveLength(10_000);
    expect(r.body.results[0]).toEqual({ code: "NONODE" });
    expect(new Set(r.body.results.slice(1).map((x: { code: string }) => x.code))).toEqual(new Set(["RUNTIMEINCONSISTENCY"]));
    // ZooKeeper's error txn spends a zxid.
    expect(r.zxid).toBe(before + 1n);
    expect((await svc.call("GET", "/v1/znodes/missing-parent")).status).toBe(404);
    await client.close();
  }, 120_000);

  test("an etcd txn over --max-request-bytes is 413 and writes nothing, over both transports", async () => {
    // 2,500 creates with 250-character names: an etcd txn of some 3.5 MB, refused by etcd's gRPC server.
    for (const transport of ["grpc", "gateway"] as const) {
      const client = etcdClient(transport, [etcd.endpoint]);
      const svc = service(client, { ZK_MAX_MULTI_OPS: "10000" });
      expect((await svc.call("POST", "/v1/znodes/p")).status).toBe(201);
      const ops = Array.from({ length: 2_500 }, (_, i) => ({ op: "create", path: `/p/${String(i).padStart(250, "n")}` }));
      const before = (await svc.call("GET", "/v1/znodes/?view=stat")).zxid;
      const r = await svc.call("POST", "/v1/multi", { json: { ops } });
      expect([transport, r.status, r.body.code]).toEqual([transport, 413, "TOOLARGE"]);
      expect((await svc.call("GET", "/v1/znodes/p?view=stat")).body.stat.numChildren).toBe(0);
      expect((await svc.call("GET", "/v1/znodes/?view=stat")).zxid).toBe(before);
      await client.close();
    }
  }, 120_000);
});

describe("random multis against etcd's default limits (the property that would have found case 1)", () => {
  // Multis of up to 155 ops, some of any kind (parents missing or not), with
  // the service told etcd's real --max-txn-ops (128, the default) or not told
  // it at all, so that etcd itself refuses some.
  test.each(["grpc", "gateway"] as const)("never a 5xx; every 4xx well formed; a refused multi spends no zxid and writes nothing (%s)", async (transport) => {
    const client = etcdClient(transport, [etcd.endpoint]);
    const told = service(client, { ZK_MAX_MULTI_OPS: "10000", ZK_PREFIX: `prop-${transport}/` });
    const untold = service(client, { ZK_MAX_MULTI_OPS: "10000", ETCD_MAX_TXN_OPS: "100000", ZK_PREFIX: `prop-${transport}/` });
    expect((await told.call("POST", "/v1/znodes/q")).status).toBe(201);
    const pathArb = fc.oneof(
      fc.integer({ min: 0, max: 400 }).map((i) => `/q/n${i}`),
      fc.constantFrom("/q", "/missing/x", "/q/missing/x", "/"),
    );
    const op = fc.oneof(
      fc.record({ op: fc.constant("create"), path: pathArb, mode: fc.constantFrom("persistent", "persistent_sequential", "container") }),
      fc.record({ op: fc.constantFrom("delete", "check"), path: pathArb, version: fc.integer({ min: -1, max: 1 }) }),
      fc.record({ op: fc.constant("setData"), path: pathArb, data: fc.constantFrom("", "AAAA") }),
    );
    // Mostly creates that succeed (a fresh parent per run), so that multis
    // large enough for etcd to refuse are common, with a few ops of any kind.
    let run = 0;
    const multi = fc
      .tuple(fc.integer({ min: 0, max: 150 }), fc.array(op, { maxLength: 4 }), fc.nat())
      .map(([k, noise, at]) => {
        const dir = `/q/r${run++}`;
        const ops: unknown[] = [{ op: "create", path: dir }, ...Array.from({ length: k }, (_, i) => ({ op: "create", path: `${dir}/c${i}` }))];
        for (const n of noise) ops.splice(1 + (at % ops.length), 0, n);
        return ops;
      });
    const seen = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(multi, fc.boolean(), async (ops, knows) => {
        const svc = knows ? told : untold;
        const before = await svc.call("GET", "/v1/znodes/q?view=stat");
        const r = await svc.call("POST", "/v1/multi", { json: { ops } });
        seen.set(r.status, (seen.get(r.status) ?? 0) + 1);
        const label = `${ops.length} ops, ${knows ? "told" : "not told"} etcd's limit → ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`;
        expect(r.status, label).toBeLessThan(500);
        if (r.status >= 400) {
          expect(typeof r.body.code, label).toBe("string");
          expect(r.body.message.length, label).toBeGreaterThan(0);
        }
        if (r.status === 413) {
          // Every write, failed ones included, spends a zxid: none was spent, so nothing was written.
          expect(r.zxid, label).toBe(before.zxid);
          expect((await svc.call("GET", "/v1/znodes/q?view=stat")).body.stat, label).toEqual(before.body.stat);
        }
      }),
      { numRuns: Number(process.env.FC_RUNS_LARGE ?? 40), seed: Number(process.env.FC_SEED ?? 20261207 + (transport === "grpc" ? 1 : 0)) },
    );
    // Both kinds of answer were met: committed or refused per op, and refused as too large.
    expect(seen.has(413) && [...seen.keys()].some((s) => s === 200 || s === 409 || s === 404), JSON.stringify([...seen])).toBe(true);
    await client.close();
  }, 240_000);
});

describe("bodies over ZK_MAX_BODY_BYTES (3 MiB by default) on a real socket", () => {
  test("a Content-Length over the limit is answered 413 before any of the body is sent", async () => {
    // The body never follows the headers: the answer cannot wait for it.
    const r = await rawRequest("POST /v1/multi HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: 100000000\r\n\r\n");
    expect(r.status).toBe(413);
    expect(JSON.parse(r.body)).toMatchObject({ code: "TOOLARGE", zkCode: null });
    expect(r.headers.get("zk-zxid")).toMatch(/^\d+$/);
  });

  test("a chunked body is cut off where it passes the limit: 413, nothing written", async () => {
    const before = await lastZxid();
    // A valid multi padded with whitespace, sent in 64 KiB chunks until the answer comes (at most 8 MiB).
    const r = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const socket = net.connect(server.port, "127.0.0.1");
      let got = "";
      let done = false;
      const answer = () => {
        const end = got.indexOf("\r\n\r\n");
        if (end < 0) return undefined;
        const length = Number(/content-length: *(\d+)/i.exec(got.slice(0, end))?.[1] ?? NaN);
        const body = got.slice(end + 4);
        return body.length >= length ? { status: Number(got.split(" ")[1]), body: body.slice(0, length) } : undefined;
      };
      socket.setEncoding("latin1");
      socket.on("data", (d) => {
        got += d;
        const a = answer();
        if (a && !done) {
          done = true;
          socket.destroy();
          resolve(a);
        }
      });
      // Writes after the server has answered and closed may fail; the answer is what counts.
      socket.on("error", () => undefined);
      socket.on("close", () => (done ? undefined : reject(new Error(`closed without an answer: ${JSON.stringify(got.slice(0, 300))}`))));
      socket.write("POST /v1/multi HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
      const chunk = (text: string) => `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n`;
      const pad = " ".repeat(64 * 1024);
      let sent = 0;
      const pump = () => {
        while (!done && sent < 8 * 1024 * 1024) {
          const text = sent === 0 ? '{"ops":[{"op":"create","path":"/chunked"}]}' : pad;
          sent += text.length;
          if (!socket.write(chunk(text))) return void socket.once("drain", pump);
        }
        if (!done) socket.write("0\r\n\r\n");
      };
      pump();
    });
    expect(r.status).toBe(413);
    expect(JSON.parse(r.body)).toMatchObject({ code: "TOOLARGE", zkCode: null });
    expect((await call("GET", "/v1/znodes/chunked")).status).toBe(404);
    expect(await lastZxid()).toBe(before);
  });
});

describe("a percent-encoded route (issue 14, case 2)", () => {
  test("GET /v1/%7Anodes/x is GET /v1/znodes/x: the route and the znode path come from one decoding", async () => {
    const missing = await call("GET", "/v1/%7Anodes/pct");
    expect([missing.status, missing.body.code, missing.body.path]).toEqual([404, "NONODE", "/pct"]);
    expect((await call("POST", "/v1/%7anodes/pct", { data: "eA==" })).status).toBe(201);
    const got = await call("GET", "/v1/%7Anodes/pct");
    expect([got.status, got.body.path, got.body.data]).toEqual([200, "/pct", "eA=="]);
    expect((await call("GET", "/v1/%61cl/pct")).body.path).toBe("/pct");
    expect((await call("GET", "/%76%31/znodes/pct")).body.path).toBe("/pct");
  });

  test("the znode path is decoded exactly once", async () => {
    expect((await call("POST", "/v1/znodes/%2541")).body.path).toBe("/%41");
    expect((await call("GET", "/v1/%7Anodes/%2541")).body.path).toBe("/%41");
    expect((await call("GET", "/v1/znodes/A")).status).toBe(404);
    // An escaped / stays a separator of the znode path, never of the route.
    expect((await call("GET", "/v1%2Fznodes/pct")).body.code).toBe("NOTFOUND");
    expect((await call("GET", "/v1/znodes/pct%2Fchild")).body).toMatchObject({ code: "NONODE", path: "/pct/child" });
    expect((await call("GET", "/v1/%7Anodes/a%ZZ")).body.code).toBe("BADARGUMENTS");
  });
});

describe("int32 fields are JSON integers within int32 (issue 14, case 3)", () => {
  test("a session timeoutMs of 2^31 is 400, not clamped", async () => {
    const before = await lastZxid();
    for (const timeoutMs of [2147483648, -2147483649, 1e20]) {
      const r = await call("POST", "/v1/sessions", { timeoutMs });
      expect([timeoutMs, r.status, r.body.code, r.body.zkCode]).toEqual([timeoutMs, 400, "BADARGUMENTS", -8]);
      expect(r.body.message).toContain("timeoutMs");
    }
    expect(await lastZxid()).toBe(before);
    const ok = await call("POST", "/v1/sessions", { timeoutMs: 2147483647 });
    expect(ok.status).toBe(201);
    expect(ok.body.timeoutMs).toBe(40_000);
    expect((await call("DELETE", `/v1/sessions/${ok.body.id}`)).status).toBe(204);
  });

  test("versions in a multi and the query are int32 too", async () => {
    expect((await call("POST", "/v1/multi", { ops: [{ op: "check", path: "/", version: 2147483648 }] })).status).toBe(400);
    expect((await call("DELETE", "/v1/znodes/pct?version=2147483648")).status).toBe(400);
    expect((await call("PUT", "/v1/acl/pct?aversion=-2147483649", { acl: [{ perms: "cdrwa", scheme: "world", id: "anyone" }] })).status).toBe(400);
  });
});

describe("requests Node's HTTP parser refuses get a JSON error (issue 14, case 4)", () => {
  test("a raw backslash in the request target: 400 with {code, zkCode, message} and ZK-Zxid", async () => {
    const zxid = await lastZxid();
    const r = await rawRequest("POST /v1/znodes/a/b\\s HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
    expect(r.status).toBe(400);
    expect(r.headers.get("content-type")).toBe("application/json");
    const body = JSON.parse(r.body);
    expect([body.code, body.zkCode]).toEqual(["BADARGUMENTS", -8]);
    expect(body.message).toContain("percent-encode");
    expect(BigInt(r.headers.get("zk-zxid")!)).toBe(zxid);
  });

  test("a control character in the target and a malformed header line are 400 JSON too", async () => {
    for (const raw of ["GET /v1/znodes/a\x01b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "GET /v1/znodes/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\nBad Header\r\n\r\n"]) {
      const r = await rawRequest(raw);
      expect([JSON.stringify(raw), r.status]).toEqual([JSON.stringify(raw), 400]);
      expect(JSON.parse(r.body).code).toBe("BADARGUMENTS");
    }
  });

  test("headers larger than the parser takes: 431 with a JSON error", async () => {
    const r = await rawRequest(`GET /v1/znodes/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`);
    expect(r.status).toBe(431);
    expect(JSON.parse(r.body)).toMatchObject({ code: "TOOLARGE", zkCode: null });
  });

  test("the server still answers well-formed requests afterwards", async () => {
    expect((await call("GET", "/v1/znodes/pct")).status).toBe(200);
  });
});
