// Znode operations against a real etcd, over both transports. Expected values
// are ZooKeeper 3.8's (checked against a real server; see the comments).
import { describe, expect, test } from "vitest";
import { etcdPerFile } from "../support/suite.js";
import { b64, service, TRANSPORTS, unb64 } from "../support/service.js";

const etcd = etcdPerFile();

describe.each(TRANSPORTS)("znodes over %s", (transport) => {
  const fresh = () => service(etcd.client(transport));

  test("a fresh tree is ZooKeeper's: /, /zookeeper, quota and config", async () => {
    const { call } = fresh();
    const root = await call("GET", "/v1/znodes/");
    expect(root.status).toBe(200);
    expect(root.zxid).toBe(0n);
    // The root's and /zookeeper's children were never "created": cversion = 2·0 − numChildren.
    expect(root.body.stat).toEqual({
      czxid: "0", mzxid: "0", pzxid: "0", ctime: 0, mtime: 0,
      version: 0, cversion: -1, aversion: 0, ephemeralOwner: "0", dataLength: 0, numChildren: 1,
    });
    expect((await call("GET", "/v1/znodes")).body.path).toBe("/");
    expect((await call("GET", "/v1/znodes/?view=children")).body.children).toEqual(["zookeeper"]);
    const zk = await call("GET", "/v1/znodes/zookeeper?view=children");
    expect(zk.body.children).toEqual(["config", "quota"]);
    expect(zk.body.stat.cversion).toBe(-2);
    const quota = await call("GET", "/v1/znodes/zookeeper/quota?view=stat");
    expect(quota.body.stat.cversion).toBe(0);
    const config = await call("GET", "/v1/acl/zookeeper/config");
    expect(config.body.acl).toEqual([{ perms: "r", scheme: "world", id: "anyone" }]);
    expect(config.body.stat.aversion).toBe(-1);
  });

  test("create, getData, setData, delete: every Stat field", async () => {
    const { call } = fresh();
    const created = await call("POST", "/v1/znodes/a", { json: { data: b64("hello") } });
    expect(created.status).toBe(201);
    expect(created.headers.get("location")).toBe("/v1/znodes/a");
    const s = created.body.stat;
    expect(created.body.path).toBe("/a");
    expect([s.czxid, s.mzxid, s.pzxid]).toEqual(["1", "1", "1"]);
    expect(created.zxid).toBe(1n);
    expect(s.ctime).toBe(s.mtime);
    expect(Math.abs(s.ctime - Date.now())).toBeLessThan(60_000);
    expect(s).toMatchObject({ version: 0, cversion: 0, aversion: 0, ephemeralOwner: "0", dataLength: 5, numChildren: 0 });

    const got = await call("GET", "/v1/znodes/a");
    expect(unb64(got.body.data)).toBe("hello");
    expect(got.body.stat).toEqual(s);
    expect(got.zxid).toBe(1n);

    const set = await call("PUT", "/v1/znodes/a", { json: { data: b64("hi") } });
    expect(set.status).toBe(200);
    expect(set.body.stat).toMatchObject({ czxid: "1", mzxid: "2", pzxid: "1", version: 1, dataLength: 2, ctime: s.ctime });
    expect(set.body.stat.mtime).toBeGreaterThanOrEqual(s.ctime);

    const child = await call("POST", "/v1/znodes/a/b");
    expect(child.body.stat.czxid).toBe("3");
    const parent = await call("GET", "/v1/znodes/a?view=children");
    // A child create moves the parent's cversion and pzxid, not its mzxid or version.
    expect(parent.body).toMatchObject({ children: ["b"], stat: { mzxid: "2", pzxid: "3", cversion: 1, numChildren: 1, version: 1 } });

    expect((await call("DELETE", "/v1/znodes/a/b")).status).toBe(204);
    const after = await call("GET", "/v1/znodes/a?view=stat");
    expect(after.body.stat).toMatchObject({ pzxid: "4", cversion: 2, numChildren: 0 });
    expect(after.zxid).toBe(4n);

    expect((await call("DELETE", "/v1/znodes/a")).status).toBe(204);
    const gone = await call("GET", "/v1/znodes/a");
    expect(gone.status).toBe(404);
    expect(gone.body).toMatchObject({ code: "NONODE", zkCode: -101, path: "/a" });
    expect((await call("HEAD", "/v1/znodes/a")).status).toBe(404);
  });

  test("failed writes spend one zxid each; reads spend none", async () => {
    const { call } = fresh();
    await call("POST", "/v1/znodes/d");
    await call("POST", "/v1/znodes/d/full");
    await call("POST", "/v1/znodes/d/full/x");
    let zxid = (await call("GET", "/v1/znodes/d")).zxid;
    const failures: [string, string, object, number, string][] = [
      ["POST", "/v1/znodes/d", {}, 409, "NODEEXISTS"],
      ["POST", "/v1/znodes/nope/x", {}, 409, "NONODE"],
      ["DELETE", "/v1/znodes/d/nope", {}, 404, "NONODE"],
      ["DELETE", "/v1/znodes/d/full?version=7", {}, 412, "BADVERSION"], // version is checked before emptiness
      ["DELETE", "/v1/znodes/d/full", {}, 409, "NOTEMPTY"],
      ["PUT", "/v1/znodes/d?version=9", { json: {} }, 412, "BADVERSION"],
      ["PUT", "/v1/znodes/d/nope", { json: {} }, 404, "NONODE"],
      ["DELETE", "/v1/znodes/zookeeper", {}, 400, "BADARGUMENTS"],
      ["DELETE", "/v1/znodes/zookeeper/quota", {}, 400, "BADARGUMENTS"],
      ["DELETE", "/v1/znodes/zookeeper/config", {}, 400, "BADARGUMENTS"],
      ["DELETE", "/v1/znodes/", {}, 400, "BADARGUMENTS"],
      ["POST", "/v1/znodes/", {}, 409, "NODEEXISTS"],
      ["PUT", "/v1/znodes/zookeeper/config", { json: {} }, 403, "NOAUTH"],
    ];
    for (const [method, path, init, status, code] of failures) {
      const r = await call(method, path, init);
      expect([method, path, r.status, r.body.code]).toEqual([method, path, status, code]);
      expect(r.zxid).toBe(++zxid);
    }
    for (const read of ["/v1/znodes/d", "/v1/znodes/d?view=children", "/v1/znodes/d?view=stat", "/v1/znodes/nope", "/v1/acl/d"]) {
      expect((await call("GET", read)).zxid).toBe(zxid);
    }
    expect((await call("POST", "/v1/sync/nope")).status).toBe(200);
    expect((await call("POST", "/v1/znodes/d/next")).body.stat.czxid).toBe(String(zxid + 1n));
  });

  test("sequential names count the parent's creations, not its deletions", async () => {
    const { call } = fresh();
    await call("POST", "/v1/znodes/q");
    await call("POST", "/v1/znodes/q/a");
    await call("DELETE", "/v1/znodes/q/a");
    const s = await call("POST", "/v1/znodes/q/s-", { json: { mode: "persistent_sequential" } });
    expect(s.body.path).toBe("/q/s-0000000001");
    expect(s.headers.get("location")).toBe("/v1/znodes/q/s-0000000001");
    expect((await call("GET", "/v1/znodes/q?view=stat")).body.stat.cversion).toBe(3);
    await call("POST", "/v1/znodes/q/s-0000000001"); // NODEEXISTS: failures do not count
    const other = await call("POST", "/v1/znodes/q/other-?mode=persistent_sequential");
    expect(other.body.path).toBe("/q/other-0000000002");
    const bare = await call("POST", "/v1/znodes/q/", { json: { mode: "persistent_sequential" } });
    expect(bare.body.path).toBe("/q/0000000003");
    // A name that a sequential create will pick, taken already: NODEEXISTS, as in
    // ZooKeeper. Creating it counts too: the counter moves from 4 to 5.
    await call("POST", "/v1/znodes/q/t-0000000005");
    const clash = await call("POST", "/v1/znodes/q/t-", { json: { mode: "persistent_sequential" } });
    expect(clash.status).toBe(409);
    expect(clash.body.code).toBe("NODEEXISTS");
    expect((await call("POST", "/v1/znodes/r")).status).toBe(201);
    const atRoot = await call("POST", "/v1/znodes/", { json: { mode: "persistent_sequential" } });
    // Root creations on a fresh prefix: /q, /r → the next is 2.
    expect(atRoot.body.path).toBe("/0000000002");
  });

  test("versions: ?version, If-Match, -1", async () => {
    const { call } = fresh();
    await call("POST", "/v1/znodes/v");
    expect((await call("PUT", "/v1/znodes/v?version=0", { json: { data: b64("1") } })).body.stat.version).toBe(1);
    expect((await call("PUT", "/v1/znodes/v", { json: {}, headers: { "if-match": '"1"' } })).body.stat.version).toBe(2);
    expect((await call("PUT", "/v1/znodes/v", { json: {}, headers: { "if-match": '"1"' } })).status).toBe(412);
    expect((await call("PUT", "/v1/znodes/v?version=-1", { json: {} })).body.stat.version).toBe(3);
    expect((await call("PUT", "/v1/znodes/v?version=3", { json: {}, headers: { "if-match": '"2"' } })).status).toBe(400);
    expect((await call("DELETE", "/v1/znodes/v?version=2")).status).toBe(412);
    expect((await call("DELETE", "/v1/znodes/v", { headers: { "if-match": "3" } })).status).toBe(204);
  });

  test("ephemerals: owner, no children, session required", async () => {
    const { call } = fresh();
    const session = await call("POST", "/v1/sessions", { json: { timeoutMs: 10_000 } });
    const id = session.body.id as string;
    await call("POST", "/v1/znodes/p");
    const e = await call("POST", "/v1/znodes/p/e", { json: { mode: "ephemeral" }, headers: { "zk-session": id } });
    expect(e.status).toBe(201);
    expect(e.body.stat.ephemeralOwner).toBe(id);
    const es = await call("POST", `/v1/znodes/p/es-?mode=ephemeral_sequential&session=${id}`);
    expect(es.body.path).toBe("/p/es-0000000001");
    const under = await call("POST", "/v1/znodes/p/e/x", { headers: { "zk-session": id } });
    expect(under.status).toBe(409);
    expect(under.body.code).toBe("NOCHILDRENFOREPHEMERALS");
    const none = await call("POST", "/v1/znodes/p/f", { json: { mode: "ephemeral" } });
    expect(none.status).toBe(400);
    expect((await call("GET", `/v1/sessions/${id}`)).body.ephemerals).toEqual(["/p/e", "/p/es-0000000001"]);
    await call("DELETE", `/v1/sessions/${id}`);
    const dead = await call("POST", "/v1/znodes/p/g", { json: { mode: "ephemeral" }, headers: { "zk-session": id } });
    expect(dead.status).toBe(410);
    expect(dead.body.code).toBe("SESSIONEXPIRED");
  });

  test("containers and TTL nodes report ephemeralOwner 0 and need ttlMs as ZooKeeper does", async () => {
    const { call } = fresh();
    const c = await call("POST", "/v1/znodes/c", { json: { mode: "container" } });
    expect(c.body.stat.ephemeralOwner).toBe("0");
    const t = await call("POST", "/v1/znodes/t", { json: { mode: "persistent_with_ttl", ttlMs: 5000 } });
    expect(t.status).toBe(201);
    expect(t.body.stat.ephemeralOwner).toBe("0");
    const ts = await call("POST", "/v1/znodes/t/x-?mode=persistent_sequential_with_ttl&ttlMs=100");
    expect(ts.body.path).toBe("/t/x-0000000000");
    expect((await call("POST", "/v1/znodes/u", { json: { mode: "persistent_with_ttl" } })).status).toBe(400);
    expect((await call("POST", "/v1/znodes/u", { json: { mode: "persistent", ttlMs: 5 } })).status).toBe(400);
  });

  test("data encodings: base64, utf8, raw bytes, HEAD", async () => {
    const { call } = fresh();
    await call("POST", "/v1/znodes/u?encoding=utf8", { json: { data: "héllo ✓" } });
    expect((await call("GET", "/v1/znodes/u?encoding=utf8")).body.data).toBe("héllo ✓");
    expect((await call("GET", "/v1/znodes/u")).body.data).toBe(b64("héllo ✓"));
    const bytes = new Uint8Array([0, 255, 1, 128]);
    const raw = await call("POST", "/v1/znodes/raw", { body: bytes, headers: { "content-type": "application/octet-stream" } });
    expect(raw.body.stat.dataLength).toBe(4);
    const res = await call("GET", "/v1/znodes/raw", { headers: { accept: "application/octet-stream" } });
    expect(res.headers.get("content-type")).toBe("application/octet-stream");
    expect(JSON.parse(res.headers.get("zk-stat")!)).toMatchObject({ dataLength: 4, czxid: raw.body.stat.czxid });
    expect((await call("GET", "/v1/znodes/raw")).body.data).toBe(Buffer.from(bytes).toString("base64"));
    const notUtf8 = await call("GET", "/v1/znodes/raw?encoding=utf8");
    expect(notUtf8.status).toBe(400);
    expect(notUtf8.body.code).toBe("BADARGUMENTS");
    await call("PUT", "/v1/znodes/raw", { body: new Uint8Array([7]), headers: { "content-type": "application/octet-stream" } });
    expect((await call("GET", "/v1/znodes/raw")).body.data).toBe(Buffer.from([7]).toString("base64"));
    const head = await call("HEAD", "/v1/znodes/raw");
    expect(head.status).toBe(200);
    expect(JSON.parse(head.headers.get("zk-stat")!).version).toBe(1);
  });

  test("percent-encoded names are decoded once", async () => {
    const { call } = fresh();
    const r = await call("POST", "/v1/znodes/a%20b");
    expect(r.body.path).toBe("/a b");
    expect(r.headers.get("location")).toBe("/v1/znodes/a%20b");
    await call("POST", "/v1/znodes/x");
    expect((await call("POST", "/v1/znodes/x%2Fy")).body.path).toBe("/x/y");
    expect((await call("GET", "/v1/znodes/x?view=children")).body.children).toEqual(["y"]);
  });
});
