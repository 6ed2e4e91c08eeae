// Watches over the wire against a real etcd: one-shot data, exists and child
// watches set by reads, persistent and recursive ones (addWatch), checking
// and removing them, setWatches after a reconnect, and ZooKeeper's order: a
// reply that reflects a change comes after that change's notification.
import { describe, expect, test } from "vitest";
import { Writer } from "../../zkwire/codec.js";
import { EVENT_TYPES, OP, OPEN_ACL, ZkWire } from "../conformance/zk-wire.js";
import { frontDoorPerFile, until } from "./support.js";

const fd = frontDoorPerFile();

const seen = (c: ZkWire) => c.notifications.map((n) => `${EVENT_TYPES[n.type]} ${n.path}`);

/** Waits until `c` has `n` notifications, then a round trip: anything more would have come before its reply. */
async function settled(c: ZkWire, n: number): Promise<string[]> {
  await until(`${n} notifications`, () => (c.notifications.length >= n ? true : undefined));
  await c.exists("/");
  return seen(c);
}

describe("one-shot watches", () => {
  test("data, exists and child watches fire once, for the kinds of event they are told of", async () => {
    const { zk, http } = await fd.door();
    const w = await ZkWire.connect(zk.port, { timeoutMs: 4000 });
    const other = await ZkWire.connect(zk.port, { timeoutMs: 4000 });
    try {
      await other.create(OP.create, "/d", Buffer.from("1"), OPEN_ACL, 0);
      expect((await w.getData("/d", true)).err).toBe(0);
      expect((await w.exists("/later", true)).err).toBe(-101);
      expect((await w.getChildren2("/d", true)).err).toBe(0);
      await other.setData("/d", Buffer.from("2"), -1);
      await other.setData("/d", Buffer.from("3"), -1);
      await http.call("POST", "/v1/znodes/later", { json: {} });
      await other.create(OP.create, "/d/kid", null, OPEN_ACL, 0);
      await other.create(OP.create, "/d/kid2", null, OPEN_ACL, 0);
      expect(await settled(w, 3)).toEqual(["NodeDataChanged /d", "NodeCreated /later", "NodeChildrenChanged /d"]);
    } finally {
      await w.close();
      await other.close();
    }
  });

  test("a deletion fires a data and a child watch on the node once, and the parent's child watch", async () => {
    const { zk } = await fd.door();
    const w = await ZkWire.connect(zk.port, { timeoutMs: 4000 });
    const other = await ZkWire.connect(zk.port, { timeoutMs: 4000 });
    try {
      await other.create(OP.create, "/p", null, OPEN_ACL, 0);
      await other.create(OP.create, "/p/x", null, OPEN_ACL, 0);
      await w.getData("/p/x", true);
      await w.getChildren2("/p/x", true);
      await w.getChildren2("/p", true);
      await other.delete("/p/x", -1);
      expect(await settled(w, 2)).toEqual(["NodeDeleted /p/x", "NodeChildrenChanged /p"]);
    } finally {
      await w.close();
      await other.close();
    }
  });

  test("a reply that reflects a change comes after the change's notification", async () => {
    const { zk, http } = await fd.door();
    const w = await ZkWire.connect(zk.port, { timeoutMs: 4000 });
    try {
      await w.create(OP.create, "/o", Buffer.from("a"), OPEN_ACL, 0);
      for (let i = 0; i < 20; i++) {
        await w.getData("/o", true);
        const before = w.notifications.length;
        await http.call("PUT", "/v1/znodes/o", { json: { data: Buffer.from(`v${i}`).toString("base64") } });
        const read = await w.getData("/o");
        expect(read.data!.toString()).toBe(`v${i}`);
        expect(read.notificationsBefore).toBe(before + 1);
      }
    } finally {
      await w.close();
    }
  });
});

describe("persistent watches (addWatch)", () => {
  test("persistent: every event on the node and its children; recursive: every node event below; removeWatches ends them", async () => {
    const { zk } = await fd.door();
    const p = await ZkWire.connect(zk.port, { timeoutMs: 4000 });
    const r = await ZkWire.connect(zk.port, { timeoutMs: 4000 });
    const other = await ZkWire.connect(zk.port, { timeoutMs: 4000 });
    try {
      await other.create(OP.create, "/t", null, OPEN_ACL, 0);
      const added = await p.addWatch("/t", false);
      // Its body is an ErrorResponse (an int 0): the Java client reads one and drops the connection without it.
      expect([added.err, added.r.left(), added.r.int()]).toEqual([0, 4, 0]);
      expect((await r.addWatch("/t", true)).err).toBe(0);
      await other.setData("/t", Buffer.from("1"), -1);
      await other.create(OP.create, "/t/a", null, OPEN_ACL, 0);
      await other.setData("/t/a", Buffer.from("2"), -1);
      await other.setData("/t", Buffer.from("3"), -1);
      expect(await settled(p, 3)).toEqual(["NodeDataChanged /t", "NodeChildrenChanged /t", "NodeDataChanged /t"]);
      expect(await settled(r, 4)).toEqual(["NodeDataChanged /t", "NodeCreated /t/a", "NodeDataChanged /t/a", "NodeDataChanged /t"]);
      expect((await watchCall(p, OP.checkWatches, "/t", 3)).err).toBe(0);
      expect((await watchCall(p, OP.removeWatches, "/t", 3)).err).toBe(0);
      expect((await watchCall(p, OP.checkWatches, "/t", 3)).err).toBe(-121);
      expect((await watchCall(p, OP.removeWatches, "/elsewhere", 2)).err).toBe(-121);
      await other.delete("/t/a", -1);
      expect(await settled(r, 5)).toEqual(["NodeDataChanged /t", "NodeCreated /t/a", "NodeDataChanged /t/a", "NodeDataChanged /t", "NodeDeleted /t/a"]);
      // A reply goes out after every notification up to its zxid: past this one, p has all it will get.
      await p.exists("/");
      expect(seen(p)).toHaveLength(3);
    } finally {
      for (const c of [p, r, other]) await c.close();
    }
  });
});

describe("setWatches after a reconnect", () => {
  test("a watch whose event was missed fires at once; the others are set again", async () => {
    const { zk, http } = await fd.door();
    const first = await ZkWire.connect(zk.port, { timeoutMs: 10_000 });
    await first.create(OP.create, "/s", Buffer.from("1"), OPEN_ACL, 0);
    await first.create(OP.create, "/same", Buffer.from("1"), OPEN_ACL, 0);
    const { zxid } = await first.getData("/s", true);
    first.drop();
    await http.call("PUT", "/v1/znodes/s", { json: { data: "" } });
    await http.call("POST", "/v1/znodes/born", { json: {} });
    const again = await ZkWire.connect(zk.port, { timeoutMs: 10_000, sessionId: first.sessionId, passwd: first.passwd });
    try {
      expect(again.timeoutMs).toBe(10_000);
      const w = new Writer().long(zxid).strings(["/s", "/same"]).strings(["/born", "/unborn"]).strings(["/same"]);
      const reply = await rawCall(again, OP.setWatches, w.done());
      expect(reply.err).toBe(0);
      expect(await settled(again, 2)).toEqual(["NodeDataChanged /s", "NodeCreated /born"]);
      await http.call("PUT", "/v1/znodes/same", { json: { data: "" } });
      await http.call("POST", "/v1/znodes/unborn", { json: {} });
      expect(await settled(again, 4)).toEqual(["NodeDataChanged /s", "NodeCreated /born", "NodeDataChanged /same", "NodeCreated /unborn"]);
    } finally {
      await again.close();
    }
  });
});

describe("setWatches2 after a reconnect", () => {
  test("sets persistent and recursive watches again: each fires on every change from then on", async () => {
    const { zk, http } = await fd.door();
    const first = await ZkWire.connect(zk.port, { timeoutMs: 10_000 });
    await first.create(OP.create, "/pw", Buffer.from("1"), OPEN_ACL, 0);
    await first.create(OP.create, "/rw", Buffer.from("1"), OPEN_ACL, 0);
    const { zxid } = await first.exists("/");
    first.drop();
    const again = await ZkWire.connect(zk.port, { timeoutMs: 10_000, sessionId: first.sessionId, passwd: first.passwd });
    try {
      // relativeZxid, data, exist, child, persistent, persistent recursive.
      const w = new Writer().long(zxid).strings([]).strings([]).strings([]).strings(["/pw"]).strings(["/rw"]);
      expect((await rawCall(again, OP.setWatches2, w.done())).err).toBe(0);
      await http.call("PUT", "/v1/znodes/pw", { json: { data: "" } });
      await http.call("PUT", "/v1/znodes/pw", { json: { data: "" } });
      await http.call("POST", "/v1/znodes/pw/kid", { json: {} });
      await http.call("POST", "/v1/znodes/rw/a", { json: {} });
      await http.call("PUT", "/v1/znodes/rw/a", { json: { data: "" } });
      expect(await settled(again, 5)).toEqual(["NodeDataChanged /pw", "NodeDataChanged /pw", "NodeChildrenChanged /pw", "NodeCreated /rw/a", "NodeDataChanged /rw/a"]);
    } finally {
      await again.close();
    }
  });
});

function rawCall(c: ZkWire, type: number, payload: Buffer): Promise<{ err: number }> {
  return (c as unknown as { call(type: number, payload: Buffer): Promise<{ err: number }> }).call(type, payload);
}

/** checkWatches or removeWatches: WatcherType 1 children, 2 data, 3 any. */
function watchCall(c: ZkWire, type: number, path: string, which: number): Promise<{ err: number }> {
  return rawCall(c, type, new Writer().string(path).int(which).done());
}

describe("many watches", () => {
  test("cost no etcd watch: 300 watches on 300 nodes, all fired by one multi, over the one stream the server follows", async () => {
    const { zk } = await fd.door();
    const w = await ZkWire.connect(zk.port, { timeoutMs: 10_000 });
    const other = await ZkWire.connect(zk.port, { timeoutMs: 10_000 });
    try {
      await other.create(OP.create, "/many", null, OPEN_ACL, 0);
      const names = Array.from({ length: 300 }, (_, i) => `/many/n${i}`);
      for (let i = 0; i < names.length; i += 50) {
        await other.multi(names.slice(i, i + 50).map((path) => ({ type: "create" as const, path, data: null, acl: OPEN_ACL, flags: 0 })));
      }
      const watchesBefore = fd.etcd().roundTrips().watch;
      await Promise.all(names.map((p) => w.getData(p, true)));
      expect(fd.etcd().roundTrips().watch).toBe(watchesBefore);
      for (let i = 0; i < names.length; i += 50) {
        await other.multi(names.slice(i, i + 50).map((path) => ({ type: "setData" as const, path, data: Buffer.from("x"), version: -1 })));
      }
      const heard = await settled(w, names.length);
      // In the multis' op order, each watch once.
      expect(heard).toEqual(names.map((p) => `NodeDataChanged ${p}`));
      expect(fd.etcd().roundTrips().watch).toBe(watchesBefore);
    } finally {
      await w.close();
      await other.close();
    }
  });
});
