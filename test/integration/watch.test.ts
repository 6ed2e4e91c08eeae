// One-shot watches as long polls (docs/api.md "Watches"), on a real etcd over both
// transports. Which events a watch receives follows ZooKeeper 3.8's
// WatchManager: a data watch (getData) fires on NodeDataChanged and
// NodeDeleted, an exists watch also on NodeCreated, a children watch on
// NodeChildrenChanged and NodeDeleted. An event's zxid is the zxid of the
// write that caused it, so the expected values come from the writes' replies.
import { describe, expect, test } from "vitest";
import { etcdPerFile } from "../support/suite.js";
import { b64, service, TRANSPORTS } from "../support/service.js";

const etcd = etcdPerFile();
const VARS = { ZK_MIN_SESSION_TIMEOUT_MS: "1000" };
/** Long enough for a poll to be waiting before the write that ends it. */
const SETTLE_MS = 300;
/** For polls that must find nothing. */
const QUIET_MS = 400;

type Svc = ReturnType<typeof service>;

const watch = (svc: Svc, path: string, query: string) => svc.call("GET", `/v1/watch${path}?${query}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function expired(svc: Svc, session: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while ((await svc.call("GET", `/v1/sessions/${session}`)).status !== 410) {
    if (Date.now() > deadline) throw new Error(`session ${session} did not expire`);
    await sleep(200);
  }
}

describe.each(TRANSPORTS)("watches over %s", (transport) => {
  const fresh = () => service(etcd.client(transport), VARS);

  test("a data watch gets NodeDataChanged for a set made after its read, with the set's zxid", async () => {
    const svc = fresh();
    await svc.call("POST", "/v1/znodes/a", { json: { data: b64("1") } });
    const read = await svc.call("GET", "/v1/znodes/a");
    const set = await svc.call("PUT", "/v1/znodes/a", { json: { data: b64("2") } });
    await svc.call("PUT", "/v1/znodes/a", { json: { data: b64("3") } });
    const w = await watch(svc, "/a", `type=data&zxid=${read.zxid}`);
    expect(w.status).toBe(200);
    // The first event after the read, not the latest.
    expect(w.body).toEqual({ type: "NodeDataChanged", path: "/a", zxid: set.body.stat.mzxid });
    expect(w.zxid).toBeGreaterThanOrEqual(set.zxid + 1n);
  });

  test("a poll waits for the event, and a poll that times out loses nothing", async () => {
    const svc = fresh();
    await svc.call("POST", "/v1/znodes/a");
    const read = await svc.call("GET", "/v1/znodes/a");
    const quiet = await watch(svc, "/a", `type=data&zxid=${read.zxid}&timeoutMs=${QUIET_MS}`);
    expect(quiet.status).toBe(204);
    expect(quiet.zxid).toBe(read.zxid);
    const waiting = watch(svc, "/a", `type=data&zxid=${read.zxid}&timeoutMs=20000`);
    await sleep(SETTLE_MS);
    const set = await svc.call("PUT", "/v1/znodes/a", { json: { data: b64("x") } });
    expect((await waiting).body).toEqual({ type: "NodeDataChanged", path: "/a", zxid: String(set.zxid) });
    // Polling again from the same read finds the same event.
    expect((await watch(svc, "/a", `type=data&zxid=${read.zxid}`)).body.zxid).toBe(String(set.zxid));
  });

  test("without a zxid a watch starts from now", async () => {
    const svc = fresh();
    await svc.call("POST", "/v1/znodes/a");
    await svc.call("PUT", "/v1/znodes/a", { json: { data: b64("before") } });
    const waiting = watch(svc, "/a", "type=exists&timeoutMs=20000");
    await sleep(SETTLE_MS);
    const del = await svc.call("DELETE", "/v1/znodes/a");
    expect((await waiting).body).toEqual({ type: "NodeDeleted", path: "/a", zxid: String(del.zxid) });
  });

  test("exists watches: NodeCreated on a missing node, then NodeDataChanged and NodeDeleted", async () => {
    const svc = fresh();
    const missing = await svc.call("GET", "/v1/znodes/e?view=stat");
    expect(missing.status).toBe(404);
    const created = await svc.call("POST", "/v1/znodes/e");
    expect((await watch(svc, "/e", `type=exists&zxid=${missing.zxid}`)).body).toEqual({ type: "NodeCreated", path: "/e", zxid: created.body.stat.czxid });
    const set = await svc.call("PUT", "/v1/znodes/e", { json: { data: b64("v") } });
    expect((await watch(svc, "/e", `type=exists&zxid=${created.zxid}`)).body).toEqual({ type: "NodeDataChanged", path: "/e", zxid: set.body.stat.mzxid });
    const del = await svc.call("DELETE", "/v1/znodes/e");
    expect((await watch(svc, "/e", `type=exists&zxid=${set.zxid}`)).body).toEqual({ type: "NodeDeleted", path: "/e", zxid: String(del.zxid) });
  });

  test("an exists watch on a missing node sees it created even when it is gone again by the poll", async () => {
    const svc = fresh();
    await svc.call("POST", "/v1/znodes/p");
    const missing = await svc.call("GET", "/v1/znodes/p/x?view=stat");
    expect(missing.status).toBe(404);
    for (const sibling of ["a", "b"]) await svc.call("POST", `/v1/znodes/p/${sibling}`);
    const created = await svc.call("POST", "/v1/znodes/p/x");
    await svc.call("POST", "/v1/znodes/p/c");
    await svc.call("DELETE", "/v1/znodes/p/x");
    expect((await watch(svc, "/p/x", `type=exists&zxid=${missing.zxid}`)).body).toEqual({ type: "NodeCreated", path: "/p/x", zxid: created.body.stat.czxid });
    // Its parent missing too, at the read: created with the parent in one multi, then both deleted.
    const none = await svc.call("GET", "/v1/znodes/q/y?view=stat");
    await svc.call("POST", "/v1/znodes/q");
    await svc.call("DELETE", "/v1/znodes/q");
    const both = await svc.call("POST", "/v1/multi", { json: { ops: [{ op: "create", path: "/q" }, { op: "create", path: "/q/y" }] } });
    await svc.call("POST", "/v1/multi", { json: { ops: [{ op: "delete", path: "/q/y" }, { op: "delete", path: "/q" }] } });
    expect((await watch(svc, "/q/y", `type=exists&zxid=${none.zxid}`)).body).toEqual({ type: "NodeCreated", path: "/q/y", zxid: String(both.zxid) });
    // Only siblings came and went: nothing.
    const again = await svc.call("GET", "/v1/znodes/p/x?view=stat");
    await svc.call("POST", "/v1/znodes/p/d");
    await svc.call("DELETE", "/v1/znodes/p/d");
    expect((await watch(svc, "/p/x", `type=exists&zxid=${again.zxid}&timeoutMs=${QUIET_MS}`)).status).toBe(204);
  });

  test("a data watch gets NodeDeleted first when the node is deleted and created again", async () => {
    const svc = fresh();
    await svc.call("POST", "/v1/znodes/a");
    const read = await svc.call("GET", "/v1/znodes/a");
    const del = await svc.call("DELETE", "/v1/znodes/a");
    await svc.call("POST", "/v1/znodes/a");
    expect((await watch(svc, "/a", `type=data&zxid=${read.zxid}`)).body).toEqual({ type: "NodeDeleted", path: "/a", zxid: String(del.zxid) });
    // Deleted and created again in one multi: still NodeDeleted, at the multi's zxid.
    const again = await svc.call("GET", "/v1/znodes/a");
    const multi = await svc.call("POST", "/v1/multi", { json: { ops: [{ op: "delete", path: "/a" }, { op: "create", path: "/a" }] } });
    expect(multi.status).toBe(200);
    expect((await watch(svc, "/a", `type=data&zxid=${again.zxid}`)).body).toEqual({ type: "NodeDeleted", path: "/a", zxid: String(multi.zxid) });
  });

  test("writes a watch does not see: setACL, other nodes, a child's data, failed writes", async () => {
    const svc = fresh();
    await svc.call("POST", "/v1/znodes/a");
    await svc.call("POST", "/v1/znodes/a/c");
    const read = await svc.call("GET", "/v1/znodes/a");
    expect((await svc.call("PUT", "/v1/acl/a", { json: { acl: [{ perms: "cdrwa", scheme: "world", id: "anyone" }] } })).status).toBe(200);
    expect((await svc.call("POST", "/v1/znodes/b")).status).toBe(201);
    expect((await svc.call("PUT", "/v1/znodes/a/c", { json: { data: b64("child") } })).status).toBe(200);
    expect((await svc.call("PUT", "/v1/znodes/a?version=7", { json: { data: b64("no") } })).status).toBe(412);
    expect((await svc.call("POST", "/v1/znodes/a/c")).status).toBe(409);
    for (const type of ["data", "exists", "children"]) {
      expect((await watch(svc, "/a", `type=${type}&zxid=${read.zxid}&timeoutMs=${QUIET_MS}`)).status, type).toBe(204);
    }
  });

  test("children watches: a child created or deleted, the node deleted", async () => {
    const svc = fresh();
    await svc.call("POST", "/v1/znodes/p");
    const read = await svc.call("GET", "/v1/znodes/p?view=children");
    await svc.call("PUT", "/v1/znodes/p", { json: { data: b64("own data is no child event") } });
    const child = await svc.call("POST", "/v1/znodes/p/c");
    expect((await watch(svc, "/p", `type=children&zxid=${read.zxid}`)).body).toEqual({ type: "NodeChildrenChanged", path: "/p", zxid: child.body.stat.czxid });
    const del = await svc.call("DELETE", "/v1/znodes/p/c");
    expect((await watch(svc, "/p", `type=children&zxid=${child.zxid}`)).body).toEqual({ type: "NodeChildrenChanged", path: "/p", zxid: String(del.zxid) });
    const gone = await svc.call("DELETE", "/v1/znodes/p");
    expect((await watch(svc, "/p", `type=children&zxid=${del.zxid}`)).body).toEqual({ type: "NodeDeleted", path: "/p", zxid: String(gone.zxid) });
  });

  test("a child created and deleted in one multi, and a multi that empties a node then deletes it", async () => {
    const svc = fresh();
    await svc.call("POST", "/v1/znodes/p");
    const read = await svc.call("GET", "/v1/znodes/p?view=children");
    const both = await svc.call("POST", "/v1/multi", { json: { ops: [{ op: "create", path: "/p/c" }, { op: "delete", path: "/p/c" }] } });
    expect(both.status).toBe(200);
    expect((await watch(svc, "/p", `type=children&zxid=${read.zxid}`)).body).toEqual({ type: "NodeChildrenChanged", path: "/p", zxid: String(both.zxid) });
    await svc.call("POST", "/v1/znodes/p/c");
    const full = await svc.call("GET", "/v1/znodes/p?view=children");
    const all = await svc.call("POST", "/v1/multi", { json: { ops: [{ op: "delete", path: "/p/c" }, { op: "delete", path: "/p" }] } });
    expect(all.status).toBe(200);
    // ZooKeeper fires the child's deletion first: the one-shot watch gets that.
    expect((await watch(svc, "/p", `type=children&zxid=${full.zxid}`)).body).toEqual({ type: "NodeChildrenChanged", path: "/p", zxid: String(all.zxid) });
  });

  test("a multi's first event per node, though only its net effect is stored", async () => {
    const svc = fresh();
    await svc.call("POST", "/v1/znodes/a");
    await svc.call("POST", "/v1/znodes/p");
    const read = await svc.call("GET", "/v1/znodes/a");
    const multi = await svc.call("POST", "/v1/multi", {
      json: {
        ops: [
          { op: "setData", path: "/a", data: b64("x") },
          { op: "delete", path: "/a" },
          { op: "create", path: "/m" },
          { op: "delete", path: "/m" },
          { op: "create", path: "/p/c" },
          { op: "delete", path: "/p/c" },
          { op: "delete", path: "/p" },
        ],
      },
    });
    expect(multi.status).toBe(200);
    const at = String(multi.zxid);
    expect((await watch(svc, "/a", `type=data&zxid=${read.zxid}`)).body).toEqual({ type: "NodeDataChanged", path: "/a", zxid: at });
    expect((await watch(svc, "/m", `type=exists&zxid=${read.zxid}`)).body).toEqual({ type: "NodeCreated", path: "/m", zxid: at });
    expect((await watch(svc, "/p", `type=children&zxid=${read.zxid}`)).body).toEqual({ type: "NodeChildrenChanged", path: "/p", zxid: at });
  });

  test("an event far back in history is found exactly among many writes", async () => {
    const svc = fresh();
    await svc.call("POST", "/v1/znodes/a");
    await svc.call("POST", "/v1/znodes/p");
    const read = await svc.call("GET", "/v1/znodes/a");
    // More revisions than one round of probes covers.
    for (let i = 0; i < 150; i++) await svc.call("POST", `/v1/znodes/x${i}`);
    const set = await svc.call("PUT", "/v1/znodes/a", { json: { data: b64("late") } });
    const child = await svc.call("POST", "/v1/znodes/p/c");
    for (let i = 0; i < 70; i++) await svc.call("PUT", "/v1/znodes/a", { json: { data: b64(`v${i}`) } });
    expect((await watch(svc, "/a", `type=data&zxid=${read.zxid}`)).body.zxid).toBe(set.body.stat.mzxid);
    expect((await watch(svc, "/p", `type=children&zxid=${read.zxid}`)).body.zxid).toBe(child.body.stat.czxid);
  });

  test("ephemeral expiry: NodeDeleted for the node, NodeChildrenChanged for its parent, at the expiry's zxid", async () => {
    const svc = fresh();
    await svc.call("POST", "/v1/znodes/p");
    const session = (await svc.call("POST", "/v1/sessions", { json: { timeoutMs: 2000 } })).body.id;
    const e = await svc.call("POST", "/v1/znodes/p/e", { json: { mode: "ephemeral" }, headers: { "zk-session": session } });
    const waiting = [watch(svc, "/p/e", `type=data&zxid=${e.zxid}&timeoutMs=20000`), watch(svc, "/p", `type=children&zxid=${e.zxid}&timeoutMs=20000`)];
    await expired(svc, session);
    const [data, children] = await Promise.all(waiting);
    // The expiry is the only write after the create; reading /p reconciles its pzxid to it.
    const expiry = String(e.zxid + 1n);
    expect(data.body).toEqual({ type: "NodeDeleted", path: "/p/e", zxid: expiry });
    expect(children.body).toEqual({ type: "NodeChildrenChanged", path: "/p", zxid: expiry });
    const p = await svc.call("GET", "/v1/znodes/p?view=children");
    expect(p.body.stat.pzxid).toBe(expiry);
    // Reconciling is no ZooKeeper change: a watch from that read sees nothing.
    expect((await watch(svc, "/p", `type=children&zxid=${p.zxid}&timeoutMs=${QUIET_MS}`)).status).toBe(204);
  });

  test("refusals: bad parameters, a node missing at the read, no READ, a session not live", async () => {
    const svc = fresh();
    await svc.call("POST", "/v1/znodes/a");
    const at = (await svc.call("GET", "/v1/znodes/a")).zxid;
    const refused = async (path: string, query: string, status: number, code: string, headers: Record<string, string> = {}) => {
      const r = await svc.call("GET", `/v1/watch${path}?${query}`, { headers });
      expect(r.status, `${path}?${query}`).toBe(status);
      expect(r.body.code, `${path}?${query}`).toBe(code);
    };
    await refused("/a", "", 400, "BADARGUMENTS");
    await refused("/a", "type=all", 400, "BADARGUMENTS");
    await refused("/a", "type=data&type=data", 400, "BADARGUMENTS");
    await refused("/a", "type=data&zxid=-1", 400, "BADARGUMENTS");
    await refused("/a", "type=data&zxid=1e3", 400, "BADARGUMENTS");
    await refused("/a", `type=data&zxid=${at + 1000n}`, 400, "BADARGUMENTS");
    await refused("/a", "type=data&timeoutMs=0", 400, "BADARGUMENTS");
    await refused("/a/", "type=data", 400, "BADARGUMENTS");
    await refused("/missing", "type=data", 404, "NONODE");
    await refused("/missing", `type=children&zxid=${at}`, 404, "NONODE");
    // Existed at the zxid given, deleted since: the event, not NONODE.
    const del = await svc.call("DELETE", "/v1/znodes/a");
    expect((await watch(svc, "/a", `type=children&zxid=${at}`)).body).toEqual({ type: "NodeDeleted", path: "/a", zxid: String(del.zxid) });
    await refused("/a", "type=data", 404, "NONODE");

    await svc.call("POST", "/v1/znodes/secret", { json: { acl: [{ perms: "w", scheme: "world", id: "anyone" }] } });
    await refused("/secret", "type=data", 403, "NOAUTH");
    await refused("/secret", "type=children", 403, "NOAUTH");
    // exists needs no permission, as in ZooKeeper; its events need READ on the node then (ZooKeeper 3.8.4+).
    const before = (await svc.call("GET", "/v1/znodes/secret?view=stat")).zxid;
    expect((await watch(svc, "/secret", `type=exists&zxid=${before}&timeoutMs=${QUIET_MS}`)).status).toBe(204);
    expect((await svc.call("PUT", "/v1/znodes/secret", { json: { data: b64("x") } })).status).toBe(200);
    expect((await watch(svc, "/secret", `type=exists&zxid=${before}&timeoutMs=${QUIET_MS}`)).status).toBe(204);
    // The same change on a node the caller may read is told.
    const visible = await svc.call("POST", "/v1/znodes/visible", { json: { acl: [{ perms: "rw", scheme: "world", id: "anyone" }] } });
    expect(visible.status).toBe(201);
    const set = await svc.call("PUT", "/v1/znodes/visible", { json: { data: b64("y") } });
    expect(set.status).toBe(200);
    expect((await watch(svc, "/visible", `type=exists&zxid=${visible.zxid}&timeoutMs=${QUIET_MS}`)).body).toEqual({ type: "NodeDataChanged", path: "/visible", zxid: String(set.zxid) });

    await refused("/", "type=data", 410, "SESSIONEXPIRED", { "zk-session": "12345" });
    await svc.call("PUT", "/v1/znodes/", { json: { data: b64("r") } });
    expect((await svc.call("POST", "/v1/watch/a")).status).toBe(405);
  });

  test("a zxid older than etcd's compacted history is 410 WATCHEXPIRED", async () => {
    const svc = fresh();
    await svc.call("POST", "/v1/znodes/a");
    const read = await svc.call("GET", "/v1/znodes/a");
    const set = await svc.call("PUT", "/v1/znodes/a", { json: { data: b64("x") } });
    expect(set.status).toBe(200);
    const client = etcd.client(transport);
    await client.compact((await client.txn({})).revision);
    const r = await watch(svc, "/a", `type=data&zxid=${read.zxid}`);
    expect(r.status).toBe(410);
    expect(r.body.code).toBe("WATCHEXPIRED");
    // A read made since is watched as usual.
    const now = await svc.call("GET", "/v1/znodes/a");
    expect((await watch(svc, "/a", `type=data&zxid=${now.zxid}&timeoutMs=${QUIET_MS}`)).status).toBe(204);
  });
});
