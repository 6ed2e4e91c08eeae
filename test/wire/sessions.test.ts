// Sessions through the front door against a real etcd: resuming by id and
// password on another server (and after the server process restarts, under a
// connected client library), refusals of a wrong password and of an expired
// session, expiry when the client is gone, and a connection closed when etcd
// cannot be reached (as a ZooKeeper server without quorum closes it), resumed
// once etcd is back.
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { configFrom } from "../../lib/config.js";
import { startZkServer } from "../../zkwire/server.js";
import { startEtcdCluster } from "../support/etcd-server.js";
import { freePorts, spawnTracked } from "../support/process.js";
import { etcdClient, service } from "../support/service.js";
import { OP, OPEN_ACL, ZkWire } from "../conformance/zk-wire.js";
import { fourLetterWord } from "../support/zookeeper-server.js";
import { frontDoorPerFile, nzk, nzkCall, nzkConnect, until, type NzkStat } from "./support.js";

const fd = frontDoorPerFile();
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

describe("resuming a session", () => {
  test("on another server of the same tree, by id and password; a wrong password is refused", async () => {
    const { zk, vars } = await fd.door();
    const second = await startZkServer({ config: configFrom(vars), etcd: fd.etcd(), port: 0 });
    try {
      const c = await ZkWire.connect(zk.port, { timeoutMs: 6000 });
      await c.create(OP.create, "/mine", null, OPEN_ACL, 1);
      c.drop();
      const wrong = Buffer.from(c.passwd);
      wrong[0] = wrong[0]! ^ 0xff;
      const refused = await ZkWire.connect(second.port, { timeoutMs: 6000, sessionId: c.sessionId, passwd: wrong });
      expect([refused.timeoutMs, refused.sessionId]).toEqual([0, 0n]);
      const again = await ZkWire.connect(second.port, { timeoutMs: 6000, sessionId: c.sessionId, passwd: c.passwd });
      expect([again.sessionId, again.timeoutMs]).toEqual([c.sessionId, 6000]);
      expect((await again.exists("/mine")).stat!.ephemeralOwner).toBe(c.sessionId);
      await again.close();
      const closed = await ZkWire.connect(zk.port, { timeoutMs: 6000, sessionId: c.sessionId, passwd: c.passwd });
      expect(closed.timeoutMs).toBe(0);
    } finally {
      await second.close();
    }
  });

  test("a session whose client is gone expires: its ephemerals go, a reconnect is told it expired", async () => {
    const { zk, http } = await fd.door();
    const c = await ZkWire.connect(zk.port, { timeoutMs: 1000 });
    await c.create(OP.create, "/p", null, OPEN_ACL, 0);
    await c.create(OP.create, "/p/eph", null, OPEN_ACL, 1);
    c.drop();
    await until("the expiry", async () => ((await http.call("GET", "/v1/znodes/p/eph")).status === 404 ? true : undefined));
    const late = await ZkWire.connect(zk.port, { timeoutMs: 1000, sessionId: c.sessionId, passwd: c.passwd });
    expect(late.timeoutMs).toBe(0);
  });
});

describe("connections without a session", () => {
  test("are closed after ZK_CLIENT_HANDSHAKE_MS; a connection that asked for a session stays", async () => {
    const { zk } = await fd.door({ ZK_CLIENT_HANDSHAKE_MS: "300" });
    const opened = performance.now();
    const silent = net.connect(zk.port, "127.0.0.1");
    const closed = new Promise<number>((resolve) => silent.once("close", () => resolve(performance.now())));
    // Half a connect request: a length prefix that promises more than comes.
    silent.write(Buffer.from([0, 0, 0, 44, 0, 0]));
    const c = await ZkWire.connect(zk.port, { timeoutMs: 6000 });
    // Closed by the handshake timer, not at once on the partial frame (a lower bound only: no speed is asserted).
    expect((await closed) - opened).toBeGreaterThanOrEqual(290);
    // Well past the handshake limit, the session's connection still answers.
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect((await c.exists("/")).stat).not.toBeNull();
    await c.close();
  });
});

describe("ZK_MAX_CLIENT_CNXNS", () => {
  test("a connection from an address past the bound is closed unanswered; a place given back is taken again", async () => {
    const { zk } = await fd.door({ ZK_MAX_CLIENT_CNXNS: "2" });
    const a = await ZkWire.connect(zk.port, { timeoutMs: 6000 });
    const b = await ZkWire.connect(zk.port, { timeoutMs: 6000 });
    const third = net.connect(zk.port, "127.0.0.1");
    let answered = 0;
    third.on("data", (d: Buffer) => (answered += d.length));
    third.on("error", () => undefined);
    // A whole connect request: the server closes the connection without reading it.
    third.write(Buffer.from([0, 0, 0, 44, ...new Array<number>(44).fill(0)]));
    await new Promise<void>((resolve) => third.once("close", () => resolve()));
    expect(answered).toBe(0);
    await expect(ZkWire.connect(zk.port, { timeoutMs: 6000 })).rejects.toThrow();
    // The sessions already open are not touched.
    expect((await a.exists("/")).stat).not.toBeNull();
    await b.close();
    const again = await until("a freed place", async () => ZkWire.connect(zk.port, { timeoutMs: 6000 }).catch(() => undefined));
    expect((await again.exists("/")).stat).not.toBeNull();
    await again.close();
    await a.close();
  });

  test("0 means no bound; conf reports the bound", async () => {
    const { zk } = await fd.door({ ZK_MAX_CLIENT_CNXNS: "0" });
    const many = await Promise.all(Array.from({ length: 70 }, () => ZkWire.connect(zk.port, { timeoutMs: 6000 })));
    expect(new Set(many.map((c) => c.sessionId)).size).toBe(70);
    await Promise.all(many.map((c) => c.close()));
    const bounded = await fd.door({ ZK_MAX_CLIENT_CNXNS: "5" });
    expect(await fourLetterWord(bounded.zk.port, "conf")).toContain("maxClientCnxns=5\n");
  });
});

describe("the server process restarts under a connected client", () => {
  test("node-zookeeper-client reconnects with its session; its ephemeral survives", async () => {
    const [httpPort, zkPort] = await freePorts(2);
    const prefix = `restart${process.pid}/`;
    const env = {
      ...process.env,
      ETCD_ENDPOINTS: fd.server().endpoint,
      ZK_PREFIX: prefix,
      ZK_ALLOW_ANONYMOUS: "true",
      PORT: String(httpPort),
      ZK_CLIENT_PORT: String(zkPort),
    };
    const serve = () => {
      const p = spawnTracked(process.execPath, ["--import", "tsx", "functions/node.ts"], { cwd: root, env });
      return until("the ZooKeeper listener", () => (p.output().includes("listening for ZooKeeper clients") ? p : p.exited() ? Promise.reject(new Error(p.output())) : undefined), 60_000);
    };
    let proc = await serve();
    const client = await nzkConnect(zkPort!, 20_000);
    try {
      const sessionId = client.getSessionId().toString("hex");
      await nzkCall<string>((cb) => client.create("/eph", Buffer.from("x"), nzk.ACL.OPEN_ACL_UNSAFE, nzk.CreateMode.EPHEMERAL, cb));
      const reconnected = new Promise<void>((resolve) => client.once("disconnected", () => client.once("connected", resolve)));
      await proc.stop();
      proc = await serve();
      await reconnected;
      expect(client.getSessionId().toString("hex")).toBe(sessionId);
      const stat = await nzkCall<NzkStat | null>((cb) => client.exists("/eph", undefined, cb));
      expect(stat!.ephemeralOwner.toString("hex")).toBe(sessionId);
    } finally {
      client.close();
      await proc.stop();
    }
  }, 180_000);
});

describe("etcd unavailable", () => {
  test("the connection is closed, as without quorum; once etcd is back the client resumes its session", async () => {
    const cluster = await startEtcdCluster(1);
    const etcd = etcdClient("grpc", cluster.endpoints, 2000);
    const vars = { ZK_ALLOW_ANONYMOUS: "true", ZK_TICK_TIME_MS: "2000", ZK_PREFIX: "down/" };
    const server = await startZkServer({ config: configFrom(vars), etcd, port: 0 });
    try {
      const c = await ZkWire.connect(server.port, { timeoutMs: 40_000 });
      await c.create(OP.create, "/kept", null, OPEN_ACL, 1);
      const closed = new Promise<void>((resolve) => (c.onClose = resolve));
      await cluster.members[0]!.stop();
      // Any request now meets etcd's absence: the server drops the connection rather than answering.
      const answered = await c.exists("/").then(
        () => true,
        () => false,
      );
      expect(answered).toBe(false);
      await closed;
      await cluster.members[0]!.start();
      const again = await until("a resumed session", async () => {
        const w = await ZkWire.connect(server.port, { timeoutMs: 40_000, sessionId: c.sessionId, passwd: c.passwd }).catch(() => undefined);
        return w && w.timeoutMs > 0 ? w : undefined;
      }, 60_000);
      expect((await again.exists("/kept")).stat!.ephemeralOwner).toBe(c.sessionId);
      expect((await service(etcd, vars).call("GET", "/v1/znodes/kept")).body.stat.ephemeralOwner).toBe(c.sessionId.toString());
      await again.close();
    } finally {
      await server.close();
      await etcd.close();
      await cluster.stop();
    }
  }, 180_000);
});
