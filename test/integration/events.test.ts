// Persistent watches as Server-Sent Events (docs/api.md), on a real etcd over both
// transports. Which events a persistent watch hears follows ZooKeeper 3.6's
// addWatch: PERSISTENT, its node's NodeCreated, NodeDataChanged, NodeDeleted
// and NodeChildrenChanged; PERSISTENT_RECURSIVE, the node events (no
// NodeChildrenChanged) of its whole subtree. Expected zxids come from the
// writes' own replies.
import { describe, expect, test } from "vitest";
import { etcdPerFile } from "../support/suite.js";
import { b64, service, TRANSPORTS } from "../support/service.js";

const etcd = etcdPerFile();
const VARS = { ZK_MIN_SESSION_TIMEOUT_MS: "1000" };
/** Long enough for a stream to be open before the write it should carry. */
const SETTLE_MS = 300;

type Svc = ReturnType<typeof service>;

interface SseEvent {
  id?: string;
  event?: string;
  data?: string;
}

/** Reads a whole SSE response (the stream ends at its timeoutMs). */
async function sse(svc: Svc, path: string, headers: Record<string, string> = {}): Promise<{ status: number; zxid: string | null; events: SseEvent[]; body: any }> {
  const res = await svc.app.request(`http://localhost${path}`, { headers });
  const text = await res.text();
  if (!(res.headers.get("content-type") ?? "").includes("text/event-stream")) {
    return { status: res.status, zxid: res.headers.get("zk-zxid"), events: [], body: JSON.parse(text) };
  }
  const events = text
    .split("\n\n")
    .filter((block) => block.trim() !== "")
    .map((block) => {
      const e: SseEvent = {};
      for (const line of block.split("\n")) {
        const m = /^(\w+): ?(.*)$/.exec(line);
        if (m && (m[1] === "id" || m[1] === "event" || m[1] === "data")) e[m[1]] = m[2]!;
      }
      return e;
    });
  return { status: res.status, zxid: res.headers.get("zk-zxid"), events, body: null };
}

/** The events with data, as [type, path, zxid], checking that each SSE id is its zxid. */
function heard(events: SseEvent[]): [string, string, string][] {
  return events
    .filter((e) => e.data !== undefined)
    .map((e) => {
      const d = JSON.parse(e.data!);
      expect(e.id).toBe(d.zxid);
      return [d.type, d.path, d.zxid];
    });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(TRANSPORTS)("persistent watches over %s", (transport) => {
  const fresh = () => service(etcd.client(transport), VARS);

  test("a node's own events and its children changing, in zxid order; nothing else", async () => {
    const svc = fresh();
    const start = (await svc.call("GET", "/v1/znodes/")).zxid;
    const create = await svc.call("POST", "/v1/znodes/p");
    const set = await svc.call("PUT", "/v1/znodes/p", { json: { data: b64("x") } });
    const child = await svc.call("POST", "/v1/znodes/p/c");
    await svc.call("PUT", "/v1/znodes/p/c", { json: { data: b64("child data") } });
    await svc.call("POST", "/v1/znodes/p/c/grandchild");
    await svc.call("PUT", "/v1/acl/p", { json: { acl: [{ perms: "cdrwa", scheme: "world", id: "anyone" }] } });
    await svc.call("DELETE", "/v1/znodes/p/c/grandchild");
    const gone = await svc.call("DELETE", "/v1/znodes/p/c");
    const del = await svc.call("DELETE", "/v1/znodes/p");
    await svc.call("POST", "/v1/znodes/px");
    const r = await sse(svc, `/v1/events/p?zxid=${start}&timeoutMs=500`);
    expect(r.status).toBe(200);
    expect(heard(r.events)).toEqual([
      ["NodeCreated", "/p", String(create.zxid)],
      ["NodeDataChanged", "/p", String(set.zxid)],
      ["NodeChildrenChanged", "/p", String(child.zxid)],
      ["NodeChildrenChanged", "/p", String(gone.zxid)],
      ["NodeDeleted", "/p", String(del.zxid)],
    ]);
    // The stream opens by naming where it starts.
    expect(r.events[0]!.id).toBe(String(start));
  });

  test("recursive: the node events of the whole subtree, no NodeChildrenChanged, not a sibling sharing the prefix", async () => {
    const svc = fresh();
    const start = (await svc.call("GET", "/v1/znodes/")).zxid;
    const writes = [
      await svc.call("POST", "/v1/znodes/r"),
      await svc.call("POST", "/v1/znodes/r/a"),
      await svc.call("POST", "/v1/znodes/rx"),
      await svc.call("POST", "/v1/znodes/r/a/b", { json: { data: b64("1") } }),
      await svc.call("PUT", "/v1/znodes/r/a/b", { json: { data: b64("2") } }),
      await svc.call("DELETE", "/v1/znodes/r/a/b"),
    ];
    const [r, a, , b, setB, delB] = writes.map((w) => String(w.zxid));
    const s = await sse(svc, `/v1/events/r?recursive=true&zxid=${start}&timeoutMs=500`);
    expect(heard(s.events)).toEqual([
      ["NodeCreated", "/r", r],
      ["NodeCreated", "/r/a", a],
      ["NodeCreated", "/r/a/b", b],
      ["NodeDataChanged", "/r/a/b", setB],
      ["NodeDeleted", "/r/a/b", delB],
    ]);
  });

  test("a multi's events, every one, in op order, under its one zxid", async () => {
    const svc = fresh();
    await svc.call("POST", "/v1/znodes/m");
    const start = (await svc.call("GET", "/v1/znodes/m")).zxid;
    const multi = await svc.call("POST", "/v1/multi", {
      json: {
        ops: [
          { op: "create", path: "/m/x" },
          { op: "setData", path: "/m/x", data: b64("1") },
          { op: "setData", path: "/m/x", data: b64("2") },
          { op: "delete", path: "/m/x" },
          { op: "setData", path: "/m", data: b64("m") },
        ],
      },
    });
    expect(multi.status).toBe(200);
    const z = String(multi.zxid);
    expect(heard((await sse(svc, `/v1/events/m?recursive=true&zxid=${start}&timeoutMs=500`)).events)).toEqual([
      ["NodeCreated", "/m/x", z],
      ["NodeDataChanged", "/m/x", z],
      ["NodeDataChanged", "/m/x", z],
      ["NodeDeleted", "/m/x", z],
      ["NodeDataChanged", "/m", z],
    ]);
    expect(heard((await sse(svc, `/v1/events/m?zxid=${start}&timeoutMs=500`)).events)).toEqual([
      ["NodeChildrenChanged", "/m", z],
      ["NodeChildrenChanged", "/m", z],
      ["NodeDataChanged", "/m", z],
    ]);
  });

  test("live: events as they happen; Last-Event-ID resumes after the last one got", async () => {
    const svc = fresh();
    await svc.call("POST", "/v1/znodes/l");
    const live = sse(svc, "/v1/events/l?timeoutMs=1500");
    await sleep(SETTLE_MS);
    const first = await svc.call("PUT", "/v1/znodes/l", { json: { data: b64("1") } });
    const second = await svc.call("PUT", "/v1/znodes/l", { json: { data: b64("2") } });
    expect(heard((await live).events)).toEqual([
      ["NodeDataChanged", "/l", String(first.zxid)],
      ["NodeDataChanged", "/l", String(second.zxid)],
    ]);
    const resumed = await sse(svc, "/v1/events/l?zxid=0&timeoutMs=500", { "last-event-id": String(first.zxid) });
    expect(heard(resumed.events)).toEqual([["NodeDataChanged", "/l", String(second.zxid)]]);
  });

  test("ephemeral expiry: NodeDeleted at the expiry's zxid; reconciling is no event, and zxids after it are right", async () => {
    const svc = fresh();
    await svc.call("POST", "/v1/znodes/e");
    const session = (await svc.call("POST", "/v1/sessions", { json: { timeoutMs: 2000 } })).body.id;
    const eph = await svc.call("POST", "/v1/znodes/e/x", { json: { mode: "ephemeral" }, headers: { "zk-session": session } });
    const deadline = Date.now() + 20_000;
    while ((await svc.call("GET", `/v1/sessions/${session}`)).status !== 410) {
      if (Date.now() > deadline) throw new Error("the session did not expire");
      await sleep(200);
    }
    const expiry = String(eph.zxid + 1n);
    // This read reconciles /e (a write that is no ZooKeeper txn).
    expect((await svc.call("GET", "/v1/znodes/e")).body.stat.pzxid).toBe(expiry);
    const after = await svc.call("POST", "/v1/znodes/e/y");
    expect(heard((await sse(svc, `/v1/events/e?zxid=${eph.zxid}&timeoutMs=500`)).events)).toEqual([
      ["NodeChildrenChanged", "/e", expiry],
      ["NodeChildrenChanged", "/e", String(after.zxid)],
    ]);
    expect(heard((await sse(svc, `/v1/events/e?recursive=true&zxid=${eph.zxid}&timeoutMs=500`)).events)).toEqual([
      ["NodeDeleted", "/e/x", expiry],
      ["NodeCreated", "/e/y", String(after.zxid)],
    ]);
  });

  test("events on nodes the caller cannot READ are not told (ZooKeeper 3.8.4+)", async () => {
    const svc = fresh();
    const start = (await svc.call("GET", "/v1/znodes/")).zxid;
    await svc.call("POST", "/v1/znodes/s", { json: { acl: [{ perms: "wa", scheme: "world", id: "anyone" }] } });
    await svc.call("PUT", "/v1/znodes/s", { json: { data: b64("hidden") } });
    await svc.call("PUT", "/v1/acl/s", { json: { acl: [{ perms: "cdrwa", scheme: "world", id: "anyone" }] } });
    const visible = await svc.call("PUT", "/v1/znodes/s", { json: { data: b64("seen") } });
    expect(heard((await sse(svc, `/v1/events/s?zxid=${start}&timeoutMs=500`)).events)).toEqual([["NodeDataChanged", "/s", String(visible.zxid)]]);
  });

  test("refusals before the stream: bad parameters, a session not live, compacted history", async () => {
    const svc = fresh();
    await svc.call("POST", "/v1/znodes/a");
    const old = (await svc.call("GET", "/v1/znodes/a")).zxid;
    const refused = async (path: string, status: number, code: string, headers: Record<string, string> = {}) => {
      const r = await sse(svc, path, headers);
      expect(r.status, path).toBe(status);
      expect(r.body.code, path).toBe(code);
      expect(r.zxid, path).not.toBeNull();
    };
    await refused("/v1/events/a/?timeoutMs=10", 400, "BADARGUMENTS");
    await refused("/v1/events/a?recursive=yes&timeoutMs=10", 400, "BADARGUMENTS");
    await refused(`/v1/events/a?zxid=${old + 1000n}&timeoutMs=10`, 400, "BADARGUMENTS");
    await refused("/v1/events/a?zxid=x&timeoutMs=10", 400, "BADARGUMENTS");
    await refused("/v1/events/a?timeoutMs=10", 400, "BADARGUMENTS", { "last-event-id": "-3" });
    await refused("/v1/events/a?timeoutMs=10", 410, "SESSIONEXPIRED", { "zk-session": "424242" });
    await svc.call("PUT", "/v1/znodes/a", { json: { data: b64("x") } });
    const client = etcd.client(transport);
    await client.compact((await client.txn({})).revision);
    await refused(`/v1/events/a?zxid=${old}&timeoutMs=10`, 410, "WATCHEXPIRED");
  });
});
