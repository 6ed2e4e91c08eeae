// The front door's operations against a real etcd, through a real client
// library (node-zookeeper-client) and the conformance suite's wire client
// (which sees every reply header): results, ZooKeeper's error codes, zxids
// equal to the HTTP door's, and one tree shared by both doors.
import { createHash } from "node:crypto";
import net from "node:net";
import { describe, expect, test } from "vitest";
import { fourLetterWord } from "../support/zookeeper-server.js";
import { OP, OPEN_ACL, ZkWire, type Reader } from "../conformance/zk-wire.js";
import { frontDoorPerFile, nzk, nzkCall, nzkConnect } from "./support.js";

const fd = frontDoorPerFile();

describe("a real client library (node-zookeeper-client)", () => {
  test("create, getData, exists, setData, getChildren, transaction, remove", async () => {
    const { zk } = await fd.door();
    const c = await nzkConnect(zk.port);
    try {
      expect(await nzkCall<string>((cb) => c.create("/app", Buffer.from("v1"), nzk.ACL.OPEN_ACL_UNSAFE, nzk.CreateMode.PERSISTENT, cb))).toBe("/app");
      const seq = await nzkCall<string>((cb) => c.create("/app/job-", null, nzk.ACL.OPEN_ACL_UNSAFE, nzk.CreateMode.PERSISTENT_SEQUENTIAL, cb));
      expect(seq).toBe("/app/job-0000000000");
      const [data, stat] = await new Promise<[Buffer, { version: number }]>((resolve, reject) => c.getData("/app", undefined, (e, d, s) => (e ? reject(e) : resolve([d, s]))));
      expect([data.toString(), stat.version]).toEqual(["v1", 0]);
      expect((await nzkCall<{ version: number }>((cb) => c.setData("/app", Buffer.from("v2"), 0, cb))).version).toBe(1);
      const err = await nzkCall((cb) => c.setData("/app", Buffer.from("v3"), 0, cb)).catch((e: { code?: number }) => e.code);
      expect(err).toBe(nzk.Exception.BAD_VERSION);
      expect(await nzkCall((cb) => c.exists("/nope", undefined, cb))).toBeNull();
      const children = await new Promise<string[]>((resolve, reject) => c.getChildren("/app", undefined, (e, ch) => (e ? reject(e) : resolve(ch))));
      expect(children).toEqual(["job-0000000000"]);
      const results = await new Promise<{ type: number }[]>((resolve, reject) =>
        c.transaction().create("/app/t", Buffer.from("x")).check("/app", 1).setData("/app/t", Buffer.from("y"), 0).commit((e, r) => (e ? reject(e) : resolve(r))),
      );
      expect(results.map((r) => r.type)).toEqual([OP.create, OP.check, OP.setData]);
      const notEmpty = await nzkCall((cb) => c.remove("/app", -1, cb)).catch((e: { code?: number }) => e.code);
      expect(notEmpty).toBe(nzk.Exception.NOT_EMPTY);
      await nzkCall((cb) => c.remove("/app/t", -1, cb));
      const missing = await nzkCall((cb) => c.remove("/app/t", -1, cb)).catch((e: { code?: number }) => e.code);
      expect(missing).toBe(nzk.Exception.NO_NODE);
    } finally {
      c.close();
    }
  });
});

describe("the wire, reply header by reply header", () => {
  test("session timeouts negotiate from tickTime as ZooKeeper's (500 ms: 1000 … 10000)", async () => {
    const { zk } = await fd.door();
    for (const [asked, got] of [[100, 1000], [4000, 4000], [60_000, 10_000]] as const) {
      const c = await ZkWire.connect(zk.port, { timeoutMs: asked });
      expect(c.timeoutMs).toBe(got);
      expect(c.sessionId).toBeGreaterThan(0n);
      expect(c.passwd.length).toBe(16);
      await c.close();
    }
  });

  test("zxids and Stats are the ones the HTTP door reports; errors are ZooKeeper's codes", async () => {
    const { zk, http } = await fd.door();
    const c = await ZkWire.connect(zk.port, { timeoutMs: 4000 });
    try {
      const created = await c.create(OP.create2, "/n", Buffer.from("data"), OPEN_ACL, 0);
      expect(created.err).toBe(0);
      const viaHttp = await http.call("GET", "/v1/znodes/n");
      expect(viaHttp.zxid).toBe(created.zxid);
      expect(viaHttp.body.stat.czxid).toBe(created.stat!.czxid.toString());
      expect(viaHttp.body.stat.ctime).toBe(Number(created.stat!.ctime));
      const set = await c.setData("/n", Buffer.from("more"), 0);
      expect(set.zxid).toBe(created.zxid + 1n);
      expect((await http.call("GET", "/v1/znodes/n")).body.stat.mzxid).toBe(set.zxid.toString());
      // A failed write spends a zxid (ZooKeeper's error txn), a failed read does not.
      const exists = await c.create(OP.create, "/n", null, OPEN_ACL, 0);
      expect([exists.err, exists.zxid]).toEqual([-110, set.zxid + 1n]);
      const missing = await c.getData("/nope");
      expect([missing.err, missing.zxid]).toEqual([-101, set.zxid + 1n]);
      expect((await c.delete("/n", 5)).err).toBe(-103);
      expect((await c.create(OP.create, "/a/b", null, OPEN_ACL, 0)).err).toBe(-101);
      expect((await c.create(OP.create, "/bad", null, OPEN_ACL, 42)).err).toBe(-8);
      expect((await c.delete("/zookeeper", -1)).err).toBe(-8);
      const sync = await c.sync("/anything");
      expect([sync.err, sync.path]).toEqual([0, "/anything"]);
    } finally {
      await c.close();
    }
  });

  test("create2, createContainer and createTTL answer the Stat; getAllChildrenNumber counts every level", async () => {
    const { zk } = await fd.door();
    const c = await ZkWire.connect(zk.port, { timeoutMs: 4000 });
    try {
      const container = await c.create(OP.createContainer, "/box", null, OPEN_ACL, 4);
      expect([container.err, container.stat!.ephemeralOwner]).toEqual([0, 0n]);
      const ttl = await c.create(OP.createTTL, "/box/ttl", Buffer.from("t"), OPEN_ACL, 5, 60_000);
      expect([ttl.err, ttl.stat!.dataLength]).toEqual([0, 1]);
      expect((await c.create(OP.createTTL, "/box/bad", null, OPEN_ACL, 0, 100)).err).toBe(-8);
      await c.create(OP.create, "/box/ttl/deep", null, OPEN_ACL, 0);
      await c.create(OP.create, "/box/ttl/deep/er", null, OPEN_ACL, 0);
      const count = async (path: string) => {
        const w = new (await import("../../zkwire/codec.js")).Writer().string(path);
        return rawCall(c, OP.getAllChildrenNumber, w.done());
      };
      expect(await count("/box")).toEqual({ err: 0, int: 3 });
      expect(await count("/box/ttl/deep/er")).toEqual({ err: 0, int: 0 });
      // "/" counts everything but itself: /zookeeper, its quota and config, and the four above.
      expect(await count("/")).toEqual({ err: 0, int: 7 });
      expect((await count("/nope")).err).toBe(-101);
    } finally {
      await c.close();
    }
  });

  test("multi: results per op; a failed multi answers OK with each op's code; multiRead", async () => {
    const { zk } = await fd.door();
    const c = await ZkWire.connect(zk.port, { timeoutMs: 4000 });
    try {
      const ok = await c.multi([
        { type: "create", path: "/m", data: Buffer.from("x"), acl: OPEN_ACL, flags: 0 },
        { type: "createContainer", path: "/m/c", data: null, acl: OPEN_ACL, flags: 4 },
        { type: "setData", path: "/m", data: Buffer.from("y"), version: 0 },
        { type: "check", path: "/m", version: 1 },
      ]);
      expect(ok.err).toBe(0);
      expect(ok.results.map((r) => [r.type, r.err, r.path])).toEqual([
        [OP.create, 0, "/m"],
        [OP.createContainer, 0, "/m/c"],
        [OP.setData, 0, undefined],
        [OP.check, 0, undefined],
      ]);
      expect(ok.results[1]!.stat!.czxid).toBe(ok.zxid);
      const failed = await c.multi([
        { type: "create", path: "/m2", data: null, acl: OPEN_ACL, flags: 0 },
        { type: "delete", path: "/m", version: -1 },
        { type: "check", path: "/m", version: 0 },
      ]);
      expect(failed.err).toBe(0);
      expect(failed.results.map((r) => [r.type, r.err])).toEqual([
        [OP.error, 0],
        [OP.error, -111],
        [OP.error, -2],
      ]);
      expect(failed.zxid).toBe(ok.zxid + 1n);
      expect((await c.exists("/m2")).err).toBe(-101);
      const reads = await c.multiRead([
        { type: "getData", path: "/m" },
        { type: "getChildren", path: "/m" },
        { type: "getData", path: "/nope" },
      ]);
      expect(reads.results).toMatchObject([
        { type: "getData", err: 0, data: Buffer.from("y") },
        { type: "getChildren", err: 0, children: ["c"] },
        { type: "error", err: -101 },
      ]);
    } finally {
      await c.close();
    }
  });

  test("addAuth digest: an identity for ACLs; another scheme fails and closes the connection", async () => {
    const { zk } = await fd.door();
    const c = await ZkWire.connect(zk.port, { timeoutMs: 4000 });
    const other = await ZkWire.connect(zk.port, { timeoutMs: 4000 });
    try {
      expect((await c.addAuth("digest", "alice:secret")).err).toBe(0);
      const acl = [{ perms: 31, scheme: "auth", id: "" }];
      expect((await c.create(OP.create, "/private", Buffer.from("s"), acl, 0)).err).toBe(0);
      const got = await c.getACL("/private");
      const hash = createHash("sha1").update("alice:secret").digest("base64");
      expect(got.acl).toEqual([{ perms: 31, scheme: "digest", id: `alice:${hash}` }]);
      expect((await other.getData("/private")).err).toBe(-102);
      expect((await other.exists("/private")).err).toBe(0);
      expect((await other.setACL("/private", OPEN_ACL, -1)).err).toBe(-102);
      expect((await other.addAuth("digest", "alice:secret")).err).toBe(0);
      expect((await other.getData("/private")).data).toEqual(Buffer.from("s"));
      // whoAmI (3.8): every identity the connection holds, a digest one by its user.
      const who = await (other as unknown as { call(type: number, payload: Buffer): Promise<{ err: number; r: Reader }> }).call(OP.whoAmI, Buffer.alloc(0));
      const n = who.r.int();
      const ids = Array.from({ length: n }, () => [who.r.string(), who.r.string()]);
      expect([who.err, ids]).toEqual([0, [["ip", "127.0.0.1"], ["digest", "alice"]]]);
      const closed = new Promise<void>((resolve) => (other.onClose = resolve));
      expect((await other.addAuth("kerberos", "x")).err).toBe(-115);
      await closed;
    } finally {
      await c.close();
      other.drop();
    }
  });

  test("getEphemerals lists the session's own, by prefix; an unknown opcode is UNIMPLEMENTED", async () => {
    const { zk } = await fd.door();
    const c = await ZkWire.connect(zk.port, { timeoutMs: 4000 });
    try {
      await c.create(OP.create, "/e", null, OPEN_ACL, 0);
      await c.create(OP.create, "/e/one", null, OPEN_ACL, 1);
      await c.create(OP.create, "/two", null, OPEN_ACL, 1);
      expect((await c.getEphemerals("/")).ephemerals!.sort()).toEqual(["/e/one", "/two"]);
      expect((await c.getEphemerals("/e")).ephemerals).toEqual(["/e/one"]);
      expect((await rawCall(c, 16, Buffer.alloc(0))).err).toBe(-6);
    } finally {
      await c.close();
    }
  });
});

describe("one tree, two doors", () => {
  test("an ephemeral made over the wire is owned by the same session over HTTP; an HTTP ping keeps it", async () => {
    const { zk, http } = await fd.door();
    const c = await ZkWire.connect(zk.port, { timeoutMs: 4000 });
    try {
      await c.create(OP.create, "/w", null, OPEN_ACL, 1);
      const node = await http.call("GET", "/v1/znodes/w");
      expect(node.body.stat.ephemeralOwner).toBe(c.sessionId.toString());
      const session = await http.call("GET", `/v1/sessions/${c.sessionId}`);
      expect(session.body).toMatchObject({ id: c.sessionId.toString(), timeoutMs: 4000, ephemerals: ["/w"] });
      expect((await http.call("POST", `/v1/sessions/${c.sessionId}/ping`)).status).toBe(200);
      // And the other way: an HTTP node, read over the wire.
      await http.call("POST", "/v1/znodes/h", { json: { data: Buffer.from("hi").toString("base64") } });
      expect((await c.getData("/h")).data).toEqual(Buffer.from("hi"));
    } finally {
      await c.close();
    }
    // closeSession over the wire removed the ephemeral, as HTTP sees it.
    expect((await http.call("GET", "/v1/znodes/w")).status).toBe(404);
  });

  test("a wire session whose connection is gone lives while HTTP pings it, and expires once they stop", async () => {
    const { zk, http } = await fd.door();
    const c = await ZkWire.connect(zk.port, { timeoutMs: 2000 });
    await c.create(OP.create, "/kept", null, OPEN_ACL, 1);
    c.drop();
    // Two and a half session timeouts with nothing but HTTP pings.
    const until = Date.now() + 5000;
    while (Date.now() < until) {
      expect((await http.call("POST", `/v1/sessions/${c.sessionId}/ping`)).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 400));
    }
    expect((await http.call("GET", "/v1/znodes/kept")).body.stat.ephemeralOwner).toBe(c.sessionId.toString());
    const gone = Date.now();
    for (;;) {
      if ((await http.call("GET", "/v1/znodes/kept")).status === 404) break;
      if (Date.now() - gone > 30_000) throw new Error("the session never expired once the pings stopped");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const late = await ZkWire.connect(zk.port, { timeoutMs: 2000, sessionId: c.sessionId, passwd: c.passwd });
    expect(late.timeoutMs).toBe(0);
  }, 45_000);
});

describe("four-letter words", () => {
  test("without anonymous callers only ruok, srvr and isro answer; the rest tell nothing", async () => {
    const { zk } = await fd.door({ ZK_ALLOW_ANONYMOUS: "false" });
    expect(await fourLetterWord(zk.port, "ruok")).toBe("imok");
    expect(await fourLetterWord(zk.port, "srvr")).toMatch(/^Zookeeper version: /);
    for (const word of ["stat", "mntr", "conf", "envi", "dump"]) {
      expect(await fourLetterWord(zk.port, word)).toBe(`${word} is not executed because it is not in the whitelist.\n`);
    }
  });

  test("ruok, srvr, stat, mntr, conf, envi, dump", async () => {
    const { zk } = await fd.door();
    const c = await ZkWire.connect(zk.port, { timeoutMs: 4000 });
    try {
      await c.create(OP.create, "/x", null, OPEN_ACL, 0);
      expect(await fourLetterWord(zk.port, "ruok")).toBe("imok");
      const srvr = await fourLetterWord(zk.port, "srvr");
      expect(srvr).toMatch(/^Zookeeper version: 3\.8\./);
      expect(srvr).toMatch(/^Mode: standalone$/m);
      expect(srvr).toMatch(/^Node count: 5$/m);
      expect(srvr).toMatch(/^Zxid: 0x[0-9a-f]+$/m);
      expect(await fourLetterWord(zk.port, "stat")).toMatch(/^Clients:\n \/127\.0\.0\.1:\d+\[1\]/m);
      const mntr = await fourLetterWord(zk.port, "mntr");
      expect(mntr).toMatch(/^zk_znode_count\t5$/m);
      expect(mntr).toMatch(/^zk_num_alive_connections\t1$/m);
      expect(await fourLetterWord(zk.port, "conf")).toMatch(/^tickTime=500$/m);
      expect(await fourLetterWord(zk.port, "envi")).toMatch(/^Environment:\n/);
      expect(await fourLetterWord(zk.port, "dump")).toContain(`0x${c.sessionId.toString(16)}`);
    } finally {
      await c.close();
    }
  });

  test("a client that sends faster than it is answered has at most 1,000 requests started at once; every one is answered, in order", { timeout: 120_000 }, async () => {
    const { zk } = await fd.door();
    const c = await ZkWire.connect(zk.port, { timeoutMs: 20_000 });
    try {
      await c.create(OP.create, "/flood", null, OPEN_ACL, 0);
      const n = 20_000;
      // Every request written at once, none awaited before the next.
      const replies = Array.from({ length: n }, (_, i) => c.exists(i % 2 === 0 ? "/flood" : "/none"));
      const seen: number[] = [];
      let done = false;
      const all = Promise.all(replies).finally(() => (done = true));
      while (!done) {
        const mntr = await fourLetterWord(zk.port, "mntr");
        seen.push(Number(/^zk_outstanding_requests\t(\d+)$/m.exec(mntr)![1]));
      }
      const answers = await all;
      expect(answers.map((a) => a.stat !== undefined)).toEqual(Array.from({ length: n }, (_, i) => i % 2 === 0));
      expect(Math.max(...seen)).toBeGreaterThan(0);
      expect(Math.max(...seen)).toBeLessThanOrEqual(1000);
      expect(/^zk_outstanding_requests\t(\d+)$/m.exec(await fourLetterWord(zk.port, "mntr"))![1]).toBe("0");
    } finally {
      await c.close();
    }
  });

  test("data over the limit closes the connection, as ZooKeeper drops a packet over jute.maxbuffer", async () => {
    const { zk } = await fd.door({ ZK_MAX_DATA_BYTES: "10" });
    const c = await ZkWire.connect(zk.port, { timeoutMs: 4000 });
    expect((await c.create(OP.create, "/small", Buffer.alloc(10), OPEN_ACL, 0)).err).toBe(0);
    const closed = new Promise<void>((resolve) => (c.onClose = resolve));
    const answered = await c.setData("/small", Buffer.alloc(11), -1).then(
      () => true,
      () => false,
    );
    expect(answered).toBe(false);
    await closed;
  });

  test("a malformed frame closes the connection", async () => {
    const { zk } = await fd.door();
    const sock = net.connect({ host: "127.0.0.1", port: zk.port });
    const closed = new Promise<void>((resolve) => sock.on("close", () => resolve()));
    sock.on("error", () => undefined);
    sock.write(Buffer.from([0x7f, 0xff, 0xff, 0xff]));
    await closed;
  });
});

/** A request the wire client has no method for: its reply's error code and an int body. */
async function rawCall(c: ZkWire, type: number, payload: Buffer): Promise<{ err: number; int?: number }> {
  const r = await (c as unknown as { call(type: number, payload: Buffer): Promise<{ err: number; r: { int(): number } }> }).call(type, payload);
  return r.err === 0 ? { err: 0, int: r.r.int() } : { err: r.err };
}

describe("without ZK_ALLOW_ANONYMOUS", () => {
  test("a connection must addAuth digest before anything else (ZooKeeper's enforce.auth.enabled); ZK_API_CREDENTIALS are checked", async () => {
    const { zk } = await fd.door({ ZK_ALLOW_ANONYMOUS: "false", ZK_API_CREDENTIALS: "alice:secret" });
    const anonymous = await ZkWire.connect(zk.port, { timeoutMs: 4000 });
    const closed = new Promise<void>((resolve) => (anonymous.onClose = resolve));
    expect((await anonymous.exists("/")).err).toBe(-115);
    await closed;
    const wrong = await ZkWire.connect(zk.port, { timeoutMs: 4000 });
    expect((await wrong.addAuth("digest", "alice:nope")).err).toBe(-115);
    wrong.drop();
    const c = await ZkWire.connect(zk.port, { timeoutMs: 4000 });
    expect((await c.addAuth("digest", "alice:secret")).err).toBe(0);
    expect((await c.exists("/")).err).toBe(0);
    await c.close();
  });
});
