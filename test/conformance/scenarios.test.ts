// Scripted conformance scenarios: each runs on a fresh ZooKeeper 3.8 and on a
// fresh tree of this service (the Node build in process and the Worker under
// workerd, each on its own etcd), one op at a time, and compares every answer
// and the whole tree (data, Stat, children, ACL of every node from "/") after
// every op. See harness.ts and normalize.ts for what is compared and how.
//
// A failing scenario is a divergence from ZooKeeper: it is fixed in the
// service, never in the expectation.
import { afterAll, beforeAll, describe, it } from "vitest";
import { dsl, OPEN, READ_ONLY } from "./dsl.js";
import { ScriptedEnv, type Lockstep } from "./harness.js";
import type { Anonymous } from "./side.js";

const WITH_WORKER = process.env.CONFORMANCE_WORKER !== "0";
const WITH_FRONT_DOOR = process.env.CONFORMANCE_FRONTDOOR !== "0";
const env = new ScriptedEnv(WITH_WORKER, WITH_FRONT_DOOR);

beforeAll(() => env.init(), 120_000);
afterAll(() => env.close(), 60_000);

const ALICE = "alice:secret";
const BOB = "bob:hunter2";
const ACTORS: Anonymous[] = [
  { name: "alice", auth: ALICE },
  { name: "bob", auth: BOB },
];

function scenario(name: string, body: (z: ReturnType<typeof dsl>, t: Lockstep) => Promise<void>, opts: { anonymous?: Anonymous[]; timeout?: number; reaperMs?: number } = {}) {
  it(name, () => env.run({ anonymous: opts.anonymous, reaperMs: opts.reaperMs }, (t) => body(dsl(t), t)), opts.timeout ?? 60_000);
}

/** `/a` … as ZooKeeper's digest: user:base64(sha1(user:password)). */
async function digest(auth: string): Promise<string> {
  const { createHash } = await import("node:crypto");
  return `${auth.slice(0, auth.indexOf(":"))}:${createHash("sha1").update(auth).digest("base64")}`;
}

describe("the tree a fresh server starts with", () => {
  scenario("root, /zookeeper, /zookeeper/quota and /zookeeper/config", async (z) => {
    for (const p of ["/", "/zookeeper", "/zookeeper/quota", "/zookeeper/config"]) {
      await z.get(p, { expect: "OK" });
      await z.exists(p, { expect: "OK" });
      await z.children(p, { expect: "OK" });
      await z.getAcl(p, { expect: "OK" });
    }
  });

  scenario("reads of missing nodes: NONODE, no zxid spent", async (z) => {
    await z.get("/nope", { expect: "NONODE" });
    await z.exists("/nope", { expect: "NONODE" });
    await z.children("/nope", { expect: "NONODE" });
    await z.getAcl("/nope", { expect: "NONODE" });
    await z.get("/zookeeper/nope", { expect: "NONODE" });
    await z.create("/a", { expect: "OK" });
  });

  scenario("writes to the system nodes", async (z) => {
    await z.set("/zookeeper", "x", { expect: "OK" });
    await z.set("/zookeeper/quota", "x", { expect: "OK" });
    await z.set("/zookeeper/config", "x", { expect: "NOAUTH" });
    await z.set("/", "root data", { expect: "OK" });
    await z.create("/zookeeper/foo", { expect: "OK" });
    await z.create("/zookeeper/quota/foo", { expect: "OK" });
    await z.create("/zookeeper/config/foo", { expect: "NOAUTH" });
    await z.create("/zookeeper", { expect: "NODEEXISTS" });
    await z.create("/", { expect: "NODEEXISTS" });
    await z.setAcl("/zookeeper/config", OPEN, { expect: "NOAUTH" });
    await z.setAcl("/zookeeper", OPEN, { expect: "OK" });
    await z.setAcl("/", OPEN, { expect: "OK" });
    await z.del("/zookeeper/foo", { expect: "OK" });
    await z.del("/zookeeper/quota/foo", { expect: "OK" });
  });

  scenario("deleting /, /zookeeper, /zookeeper/quota, /zookeeper/config: BADARGUMENTS, one zxid each", async (z) => {
    await z.del("/zookeeper", { expect: "BADARGUMENTS" });
    await z.del("/zookeeper/quota", { expect: "BADARGUMENTS" });
    await z.del("/zookeeper/config", { expect: "BADARGUMENTS" });
    await z.del("/", { expect: "BADARGUMENTS" });
    await z.del("/", { version: 0, expect: "BADARGUMENTS" });
    await z.del("/zookeeper", { version: 5, expect: "BADARGUMENTS" });
    await z.create("/after", { expect: "OK" });
  });
});

describe("create, getData, exists, getChildren", () => {
  scenario("persistent nodes with data, binary data and empty data", async (z) => {
    await z.create("/a", { data: "hello", expect: "OK" });
    await z.create("/a/b", { data: new Uint8Array([0, 255, 1, 128, 10]), expect: "OK" });
    await z.create("/a/c", { expect: "OK" });
    await z.create("/a/c/d", { data: "", expect: "OK" });
    await z.get("/a");
    await z.get("/a/b");
    await z.get("/a/c");
    await z.children("/a");
    await z.children("/");
    await z.exists("/a/c/d");
    await z.create("/big", { data: new Uint8Array(100_000).fill(7), expect: "OK" });
    await z.get("/big");
    await z.create(`/${"n".repeat(5000)}`, { data: "a long name", expect: "OK" });
  });

  scenario("create: NODEEXISTS and NONODE (missing parent), each spending a zxid", async (z) => {
    await z.create("/a", { expect: "OK" });
    await z.create("/a", { data: "again", expect: "NODEEXISTS" });
    await z.create("/x/y", { expect: "NONODE" });
    await z.create("/a/b/c", { expect: "NONODE" });
    await z.create("/a/b", { expect: "OK" });
    await z.children("/a");
  });

  scenario("create under an ephemeral: NOCHILDRENFOREPHEMERALS", async (z) => {
    await z.open("s1", { expect: "OK" });
    await z.create("/e", { mode: "ephemeral", as: "s1", expect: "OK" });
    await z.create("/e/c", { expect: "NOCHILDRENFOREPHEMERALS" });
    await z.create("/e/c", { mode: "ephemeral", as: "s1", expect: "NOCHILDRENFOREPHEMERALS" });
    await z.create("/e/s-", { mode: "persistent_sequential", expect: "NOCHILDRENFOREPHEMERALS" });
    await z.children("/e");
    await z.close("s1", { expect: "OK" });
  });

  scenario("getChildren: many children, a leaf, an ephemeral", async (z) => {
    await z.open("s1");
    await z.create("/p");
    for (const name of ["b", "a", "c", "zz", "é", "1"]) await z.create(`/p/${name}`, { expect: "OK" });
    await z.create("/p/eph", { mode: "ephemeral", as: "s1", expect: "OK" });
    await z.children("/p", { expect: "OK" });
    await z.children("/p/a", { expect: "OK" });
    await z.children("/p/eph", { expect: "OK" });
    await z.close("s1");
  });

  scenario("invalid paths: BADARGUMENTS, no zxid spent", async (z) => {
    await z.create("/a", { expect: "OK" });
    await z.create("/a\u0001b", { expect: "BADARGUMENTS" });
    await z.create("/a/\u{1F600}", { expect: "BADARGUMENTS" });
    await z.create("/a/x\u007f", { expect: "BADARGUMENTS" });
    await z.create("/a/", { expect: "BADARGUMENTS" });
    await z.get("/a/", { expect: "BADARGUMENTS" });
    await z.set("/a/\uffff", "x", { expect: "BADARGUMENTS" });
    await z.del("/a\u0000", { expect: "BADARGUMENTS" });
    await z.create("/a/ok\u00e9\u4e2d", { expect: "OK" });
  });
});

describe("the other HTTP forms of the same ops", () => {
  scenario("raw bytes in and out, HEAD for exists, If-Match for versions", async (z) => {
    const bytes = new Uint8Array([0, 1, 2, 253, 254, 255, 10, 13]);
    await z.create("/raw", { data: bytes, via: "octets", expect: "OK" });
    await z.create("/raw/s-", { data: "seq", mode: "persistent_sequential", via: "octets", expect: "OK" });
    await z.create("/raw", { data: "x", via: "octets", expect: "NODEEXISTS" });
    await z.get("/raw", { via: "octets", expect: "OK" });
    await z.get("/nope", { via: "octets", expect: "NONODE" });
    await z.exists("/raw", { via: "head", expect: "OK" });
    await z.exists("/nope", { via: "head", expect: "NONODE" });
    await z.set("/raw", new Uint8Array([9, 9]), { via: "octets", version: 0, expect: "OK" });
    await z.set("/raw", "json", { via: "if-match", version: 1, expect: "OK" });
    await z.set("/raw", "stale", { via: "if-match", version: 1, expect: "BADVERSION" });
    await z.set("/raw", new Uint8Array(), { via: "octets", expect: "OK" });
    await z.get("/raw", { via: "octets", expect: "OK" });
    await z.del("/raw/s-0000000000", { via: "if-match", version: 3, expect: "BADVERSION" });
    await z.del("/raw/s-0000000000", { via: "if-match", version: 0, expect: "OK" });
  });
});

describe("setData and delete", () => {
  scenario("setData: versions, BADVERSION, NONODE; mtime moves, ctime stays", async (z) => {
    await z.create("/a", { data: "v0" });
    await z.set("/a", "v1", { expect: "OK" });
    await z.set("/a", "v2", { version: 1, expect: "OK" });
    await z.set("/a", "v3", { version: 1, expect: "BADVERSION" });
    await z.set("/a", "v3", { version: 7, expect: "BADVERSION" });
    await z.set("/a", "same", { version: -1, expect: "OK" });
    await z.set("/a", "same", { expect: "OK" });
    await z.set("/a", "", { expect: "OK" });
    await z.set("/nope", "x", { expect: "NONODE" });
    await z.set("/nope", "x", { version: 3, expect: "NONODE" });
    await z.get("/a");
  });

  scenario("delete: versions, BADVERSION, NONODE, NOTEMPTY (BADVERSION checked first)", async (z) => {
    await z.create("/d");
    await z.create("/d/v");
    await z.create("/d/full");
    await z.create("/d/full/c");
    await z.set("/d/v", "x");
    await z.del("/d/v", { version: 0, expect: "BADVERSION" });
    await z.del("/d/nope", { expect: "NONODE" });
    await z.del("/d/nope", { version: 0, expect: "NONODE" });
    await z.del("/d/full", { expect: "NOTEMPTY" });
    await z.del("/d/full", { version: 99, expect: "BADVERSION" });
    await z.del("/d/full", { version: 0, expect: "NOTEMPTY" });
    await z.del("/d/v", { version: 1, expect: "OK" });
    await z.del("/d/full/c", { version: -1, expect: "OK" });
    await z.del("/d/full", { expect: "OK" });
    await z.children("/d");
  });
});

describe("sequential nodes", () => {
  scenario("numbering counts the parent's child creations, not its deletions", async (z) => {
    await z.create("/q");
    await z.create("/q/a");
    await z.del("/q/a");
    await z.create("/q/s-", { mode: "persistent_sequential", expect: "OK" });
    await z.create("/q/dup");
    await z.create("/q/dup", { expect: "NODEEXISTS" });
    await z.create("/q/s-", { mode: "persistent_sequential", expect: "OK" });
    await z.del("/q/nope", { expect: "NONODE" });
    await z.create("/q/s-", { mode: "persistent_sequential", expect: "OK" });
    await z.create("/q/dup/g");
    await z.create("/q/other-", { mode: "persistent_sequential", expect: "OK" });
    await z.children("/q");
  });

  scenario("several deletes, then sequential; a recreated parent starts again at 0", async (z) => {
    await z.create("/r");
    for (const n of ["c1", "c2", "c3"]) await z.create(`/r/${n}`);
    await z.del("/r/c1");
    await z.del("/r/c2");
    await z.create("/r/s-", { mode: "persistent_sequential", expect: "OK" });
    await z.create("/r/s-", { mode: "persistent_sequential", expect: "OK" });
    for (const c of ["c3", "s-0000000003", "s-0000000004"]) await z.del(`/r/${c}`, { expect: "OK" });
    await z.del("/r", { expect: "OK" });
    await z.create("/r", { expect: "OK" });
    await z.create("/r/s-", { mode: "persistent_sequential", expect: "OK" });
  });

  scenario("a trailing-slash prefix, and sequential nodes at the root", async (z) => {
    await z.create("/seq-", { mode: "persistent_sequential", expect: "OK" });
    await z.create("/q");
    await z.create("/q/", { mode: "persistent_sequential", expect: "OK" });
    await z.create("/q/", { mode: "persistent_sequential", expect: "OK" });
    await z.create("/q/", { mode: "persistent", expect: "BADARGUMENTS" });
    await z.create("/seq-", { mode: "persistent_sequential", expect: "OK" });
    await z.children("/");
    await z.children("/q");
  });

  scenario("ephemeral sequential, then the session closes: numbering continues", async (z) => {
    await z.create("/r");
    await z.open("s1");
    await z.create("/r/eph-", { mode: "ephemeral_sequential", as: "s1", expect: "OK" });
    await z.create("/r/eph-", { mode: "ephemeral_sequential", as: "s1", expect: "OK" });
    await z.close("s1");
    await z.create("/r/s-", { mode: "persistent_sequential", expect: "OK" });
  });

  scenario("sequential numbering after a session expires", async (z) => {
    await z.create("/q");
    await z.open("s1", { timeoutMs: 1000 });
    await z.create("/q/e-", { mode: "ephemeral_sequential", as: "s1", expect: "OK" });
    await z.create("/q/e-", { mode: "ephemeral_sequential", as: "s1", expect: "OK" });
    await z.create("/q/p-", { mode: "persistent_sequential", expect: "OK" });
    await z.expire("s1");
    await z.create("/q/p-", { mode: "persistent_sequential", expect: "OK" });
    await z.children("/q");
  });
});

describe("sessions", () => {
  scenario("timeouts negotiate as ZooKeeper's do (tickTime 500: 1000 … 10000 ms)", async (z) => {
    await z.open("a", { timeoutMs: 1, expect: "OK" });
    await z.open("b", { timeoutMs: 999, expect: "OK" });
    await z.open("c", { timeoutMs: 4321, expect: "OK" });
    await z.open("d", { timeoutMs: 10_000, expect: "OK" });
    await z.open("e", { timeoutMs: 60_000, expect: "OK" });
    for (const s of ["a", "b", "c", "d", "e"]) await z.ping(s, { expect: "OK" });
    for (const s of ["e", "d", "c", "b", "a"]) await z.close(s, { expect: "OK" });
  });

  scenario("inspect lists the session's own ephemerals (getEphemerals)", async (z) => {
    await z.open("s1");
    await z.open("s2");
    await z.create("/p");
    await z.inspect("s1", { expect: "OK" });
    await z.create("/p/x", { mode: "ephemeral", as: "s1" });
    await z.create("/p/y-", { mode: "ephemeral_sequential", as: "s1" });
    await z.create("/z", { mode: "ephemeral", as: "s1" });
    await z.create("/p/w", { mode: "ephemeral", as: "s2" });
    await z.inspect("s1", { expect: "OK" });
    await z.inspect("s2", { expect: "OK" });
    await z.close("s1");
    await z.close("s2");
  });

  scenario("explicit close: ephemerals under several parents go at once", async (z) => {
    await z.create("/p");
    await z.create("/q");
    await z.open("s1");
    await z.open("s2");
    await z.create("/p/a", { mode: "ephemeral", as: "s1" });
    await z.create("/p/b", { mode: "ephemeral", as: "s1" });
    await z.create("/q/c-", { mode: "ephemeral_sequential", as: "s1" });
    await z.create("/top", { mode: "ephemeral", as: "s1" });
    await z.create("/p/keep", { mode: "ephemeral", as: "s2" });
    await z.close("s1", { expect: "OK" });
    await z.children("/p");
    await z.close("s2", { expect: "OK" });
  });

  scenario("a closed session: every op SESSIONEXPIRED, no zxid spent", async (z) => {
    await z.create("/p");
    await z.open("s1");
    await z.close("s1", { expect: "OK" });
    await z.close("s1", { expect: "SESSIONEXPIRED" });
    await z.ping("s1", { expect: "SESSIONEXPIRED" });
    await z.inspect("s1", { expect: "SESSIONEXPIRED" });
    await z.create("/p/x", { mode: "ephemeral", as: "s1", expect: "SESSIONEXPIRED" });
    await z.create("/p/y", { as: "s1", expect: "SESSIONEXPIRED" });
    await z.get("/p", { as: "s1", expect: "SESSIONEXPIRED" });
    await z.set("/p", "x", { as: "s1", expect: "SESSIONEXPIRED" });
    await z.multi([{ op: "create", path: "/p/z" }], { as: "s1", expect: "SESSIONEXPIRED" });
    await z.open("s1", { expect: "OK" });
    await z.create("/p/x", { mode: "ephemeral", as: "s1", expect: "OK" });
    await z.close("s1");
  });

  scenario("expiry: one ephemeral under one parent", async (z) => {
    await z.create("/e");
    await z.open("s1", { timeoutMs: 1000 });
    await z.create("/e/x", { mode: "ephemeral", as: "s1", expect: "OK" });
    await z.expire("s1");
    await z.get("/e");
    await z.create("/e/after", { expect: "OK" });
    await z.ping("s1", { expect: "SESSIONEXPIRED" });
    await z.inspect("s1", { expect: "SESSIONEXPIRED" });
    await z.close("s1", { expect: "SESSIONEXPIRED" });
    await z.create("/e/y", { mode: "ephemeral", as: "s1", expect: "SESSIONEXPIRED" });
  });

  scenario("expiry: several ephemerals under several parents; another session's stay", async (z) => {
    await z.create("/e");
    await z.create("/f");
    await z.create("/f/g");
    await z.open("s1", { timeoutMs: 1000 });
    await z.open("s2", { timeoutMs: 4000 });
    await z.create("/e/x", { mode: "ephemeral", as: "s1" });
    await z.create("/e/y", { mode: "ephemeral", as: "s1" });
    await z.create("/e/z-", { mode: "ephemeral_sequential", as: "s1" });
    await z.create("/f/g/h", { mode: "ephemeral", as: "s1" });
    await z.create("/top", { mode: "ephemeral", as: "s1" });
    await z.create("/e/other", { mode: "ephemeral", as: "s2" });
    await z.set("/e", "touched");
    await z.expire("s1");
    await z.children("/e");
    await z.inspect("s2", { expect: "OK" });
    await z.create("/e/z-", { mode: "persistent_sequential", expect: "OK" });
    await z.close("s2");
  });

  scenario("expiry of a session that owned nothing spends one zxid", async (z) => {
    await z.open("s1", { timeoutMs: 1000 });
    await z.expire("s1");
    await z.create("/after", { expect: "OK" });
  });

  scenario("two sessions expiring one after the other, then a multi", async (z) => {
    await z.create("/e");
    await z.open("s1", { timeoutMs: 1000 });
    await z.open("s2", { timeoutMs: 1000 });
    await z.create("/e/a", { mode: "ephemeral", as: "s1" });
    await z.create("/e/b", { mode: "ephemeral", as: "s2" });
    await z.expire("s2");
    await z.expire("s1");
    await z.multi([{ op: "create", path: "/e/c" }, { op: "check", path: "/e", version: 0 }], { expect: "OK" });
  });
});

describe("after an expiry, the first op to meet its effects", () => {
  // The trees are not read between the expiry and the op: whatever the service
  // defers (etcd deletes an expired lease's keys and nothing else) must be
  // settled by the op itself.
  const setup = async (z: ReturnType<typeof dsl>) => {
    await z.create("/e", { data: "d" });
    await z.create("/e/keep");
    await z.open("s1", { timeoutMs: 1000 });
    await z.create("/e/x", { mode: "ephemeral", as: "s1" });
    await z.create("/e/y-", { mode: "ephemeral_sequential", as: "s1" });
    await z.expire("s1", { tree: false });
  };
  scenario("is a create under the parent", async (z) => {
    await setup(z);
    await z.create("/e/after", { expect: "OK" });
  });
  scenario("is a sequential create under the parent", async (z) => {
    await setup(z);
    await z.create("/e/s-", { mode: "persistent_sequential", expect: "OK" });
  });
  scenario("is a delete of a sibling, then of the parent", async (z) => {
    await setup(z);
    await z.del("/e/keep", { expect: "OK" });
    await z.del("/e", { expect: "OK" });
  });
  scenario("is a delete of the parent that fails (NOTEMPTY), then getChildren", async (z) => {
    await setup(z);
    await z.del("/e", { expect: "NOTEMPTY" });
    await z.children("/e", { expect: "OK" });
  });
  scenario("is a setData of the parent", async (z) => {
    await setup(z);
    await z.set("/e", "new", { version: 0, expect: "OK" });
  });
  scenario("is exists, then multi/read", async (z) => {
    await setup(z);
    await z.exists("/e", { expect: "OK" });
    await z.multiRead([{ op: "getChildren", path: "/e" }, { op: "getData", path: "/e/x" }], { expect: "OK" });
  });
  scenario("is a multi creating and deleting under the parent", async (z) => {
    await setup(z);
    await z.multi([{ op: "create", path: "/e/m" }, { op: "delete", path: "/e/keep" }, { op: "check", path: "/e", version: 0 }], { expect: "OK" });
  });
  scenario("is a failed multi under the parent", async (z) => {
    await setup(z);
    await z.multi([{ op: "create", path: "/e/m" }, { op: "create", path: "/e/keep" }], { expect: "NODEEXISTS" });
    await z.get("/e");
  });
  scenario("comes after a second session's expiry under the same parent", async (z) => {
    await z.create("/e");
    await z.open("s1", { timeoutMs: 1000 });
    await z.open("s2", { timeoutMs: 1000 });
    await z.create("/e/a", { mode: "ephemeral", as: "s1" });
    await z.create("/e/b", { mode: "ephemeral", as: "s2" });
    await z.create("/f", { mode: "ephemeral", as: "s2" });
    await z.expire("s1", { tree: false });
    await z.create("/g", { expect: "OK" });
    await z.expire("s2", { tree: false });
    await z.children("/e", { expect: "OK" });
  });
});

describe("ephemerals touched by others", () => {
  scenario("an ephemeral deleted by another actor, then its session closes", async (z) => {
    await z.create("/p");
    await z.open("s1");
    await z.create("/p/e", { mode: "ephemeral", as: "s1" });
    await z.create("/p/f", { mode: "ephemeral", as: "s1" });
    await z.set("/p/f", "changed by anon");
    await z.del("/p/e", { expect: "OK" });
    await z.inspect("s1", { expect: "OK" });
    await z.close("s1", { expect: "OK" });
  });

  scenario("an ephemeral deleted and recreated by another session, then the first session expires", async (z) => {
    await z.create("/p");
    await z.open("s1", { timeoutMs: 1000 });
    await z.open("s2");
    await z.create("/p/e", { mode: "ephemeral", as: "s1" });
    await z.del("/p/e", { expect: "OK" });
    await z.create("/p/e", { mode: "ephemeral", as: "s2", expect: "OK" });
    await z.expire("s1");
    await z.inspect("s2", { expect: "OK" });
    await z.close("s2");
  });

  scenario("an ephemeral deleted and recreated as persistent, then its session expires unread", async (z) => {
    await z.create("/p");
    await z.open("s1", { timeoutMs: 1000 });
    await z.create("/p/e", { mode: "ephemeral", as: "s1" });
    await z.create("/p/f", { mode: "ephemeral", as: "s1" });
    await z.del("/p/e", { expect: "OK" });
    await z.create("/p/e", { expect: "OK" });
    await z.expire("s1", { tree: false });
    await z.children("/p", { expect: "OK" });
  });

  scenario("an ephemeral deleted and re-created by another session in one multi, then both sessions end", async (z) => {
    await z.create("/p");
    await z.open("s1", { timeoutMs: 1000 });
    await z.open("s2");
    await z.create("/p/e", { mode: "ephemeral", as: "s1" });
    await z.multi([{ op: "delete", path: "/p/e" }, { op: "create", path: "/p/e", data: "s2's", mode: "ephemeral" }], { as: "s2", expect: "OK" });
    await z.inspect("s1", { expect: "OK" });
    await z.expire("s1", { tree: false });
    await z.get("/p/e", { expect: "OK" });
    await z.close("s2", { expect: "OK" });
  });

  scenario("an ephemeral deleted and re-created by its own session in one multi, then the session expires unread", async (z) => {
    await z.create("/p");
    await z.open("s1", { timeoutMs: 1000 });
    await z.create("/p/e", { mode: "ephemeral", as: "s1" });
    await z.multi([{ op: "delete", path: "/p/e" }, { op: "create", path: "/p/e", mode: "ephemeral" }, { op: "create", path: "/p/f-", mode: "ephemeral_sequential" }], { as: "s1", expect: "OK" });
    await z.expire("s1", { tree: false });
    await z.children("/p", { expect: "OK" });
  });

  scenario("an ephemeral child of a container, its session expiring", async (z) => {
    await z.create("/c", { mode: "container" });
    await z.open("s1", { timeoutMs: 1000 });
    await z.create("/c/e", { mode: "ephemeral", as: "s1" });
    await z.expire("s1");
    await z.get("/c", { expect: "OK" });
  });

  scenario("a session reopened under the same label after expiry", async (z) => {
    await z.create("/p");
    await z.open("s1", { timeoutMs: 1000 });
    await z.create("/p/e-", { mode: "ephemeral_sequential", as: "s1" });
    await z.expire("s1");
    await z.open("s1", { timeoutMs: 1000 });
    await z.create("/p/e-", { mode: "ephemeral_sequential", as: "s1", expect: "OK" });
    await z.create("/p/e-", { mode: "ephemeral_sequential", as: "s1", expect: "OK" });
    await z.expire("s1", { tree: false });
    await z.create("/p/e-", { mode: "persistent_sequential", expect: "OK" });
  });
});

describe("multi", () => {
  scenario("success: one zxid, results with paths and Stats", async (z) => {
    await z.create("/app", { data: "v1" });
    await z.multi(
      [
        { op: "create", path: "/m", data: "m" },
        { op: "create", path: "/m/c" },
        { op: "setData", path: "/app", data: "v2", version: 0 },
        { op: "check", path: "/app", version: 1 },
        { op: "create", path: "/m/s-", mode: "persistent_sequential" },
        { op: "create", path: "/m/s-", mode: "persistent_sequential" },
        { op: "delete", path: "/m/c" },
      ],
      { expect: "OK" },
    );
    await z.multi([{ op: "setData", path: "/app", data: "1", version: 1 }, { op: "setData", path: "/app", data: "22", version: 2 }], { expect: "OK" });
    await z.multi([{ op: "delete", path: "/app" }, { op: "create", path: "/app", data: "new" }], { expect: "OK" });
    await z.multi([{ op: "check", path: "/m", version: -1 }], { expect: "OK" });
  });

  scenario("failure codes: the failing op's code, OK before it, RUNTIMEINCONSISTENCY after; one zxid", async (z) => {
    await z.create("/notempty");
    await z.create("/notempty/c");
    await z.create("/w");
    await z.multi([{ op: "create", path: "/m" }, { op: "create", path: "/m" }], { expect: "NODEEXISTS" });
    await z.multi([{ op: "check", path: "/nope", version: 0 }, { op: "create", path: "/x" }], { expect: "NONODE" });
    await z.multi([{ op: "create", path: "/x" }, { op: "setData", path: "/nope", data: "d" }], { expect: "NONODE" });
    await z.multi([{ op: "delete", path: "/notempty" }], { expect: "NOTEMPTY" });
    await z.multi([{ op: "create", path: "/x" }, { op: "delete", path: "/notempty" }, { op: "create", path: "/y" }, { op: "check", path: "/x" }], { expect: "NOTEMPTY" });
    await z.multi([{ op: "create", path: "/x" }, { op: "create", path: "/x/child" }, { op: "check", path: "/x", version: 1 }], { expect: "BADVERSION" });
    await z.multi([{ op: "create", path: "/x" }, { op: "delete", path: "/x" }, { op: "delete", path: "/x" }], { expect: "NONODE" });
    await z.multi([{ op: "setData", path: "/w", data: "1", version: 0 }, { op: "setData", path: "/w", data: "2", version: 0 }], { expect: "BADVERSION" });
    await z.multi([{ op: "create", path: "/nope/x" }], { expect: "NONODE" });
    await z.multi([{ op: "delete", path: "/w", version: 3 }], { expect: "BADVERSION" });
    await z.multi([{ op: "delete", path: "/zookeeper" }], { expect: "BADARGUMENTS" });
    await z.multi([{ op: "create", path: "/zookeeper/config/x" }], { expect: "NOAUTH" });
    await z.multi([{ op: "create", path: "/ia", acl: [{ perms: "cdrwa", scheme: "bogus", id: "x" }] }], { expect: "INVALIDACL" });
    await z.children("/");
  });

  scenario("failure with ephemerals: NOCHILDRENFOREPHEMERALS inside one multi", async (z) => {
    await z.open("s1");
    await z.multi([{ op: "create", path: "/eph2", mode: "ephemeral" }, { op: "create", path: "/eph2/c" }], { as: "s1", expect: "NOCHILDRENFOREPHEMERALS" });
    await z.multi([{ op: "create", path: "/eph2", mode: "ephemeral" }, { op: "create", path: "/other-", mode: "ephemeral_sequential" }], { as: "s1", expect: "OK" });
    await z.inspect("s1");
    await z.close("s1");
  });

  scenario("a large multi: 60 creates, then 60 deletes", async (z) => {
    await z.create("/many");
    const names = Array.from({ length: 60 }, (_, i) => `/many/n${i}`);
    await z.multi(names.map((path, i) => ({ op: "create" as const, path, data: `d${i}` })), { expect: "OK" });
    await z.multi([...names.map((path) => ({ op: "delete" as const, path })), { op: "create", path: "/many/s-", mode: "persistent_sequential" }], { expect: "OK" });
  });

  scenario("an empty multi spends a zxid", async (z) => {
    await z.multi([], { expect: "OK" });
    await z.multi([], { expect: "OK" });
    await z.create("/after", { expect: "OK" });
  });

  scenario("a bad path anywhere: refused whole, BADARGUMENTS at it and RUNTIMEINCONSISTENCY elsewhere, no zxid", async (z) => {
    await z.multi([{ op: "create", path: "/ok" }, { op: "create", path: "/bad/" }, { op: "create", path: "/ok2" }], { expect: "BADARGUMENTS" });
    await z.multi([{ op: "check", path: "no-slash" }], { expect: "BADARGUMENTS" });
    await z.multi([{ op: "delete", path: "/a//b" }, { op: "setData", path: "/a/./b" }], { expect: "BADARGUMENTS" });
    await z.multi([{ op: "create", path: "/t", mode: "persistent_with_ttl", ttlMs: 0 }], { expect: "BADARGUMENTS" });
    await z.create("/after", { expect: "OK" });
  });

  scenario("containers and TTL nodes in a multi carry their Stat", async (z) => {
    await z.multi(
      [
        { op: "create", path: "/c", mode: "container" },
        { op: "create", path: "/c/kid", data: "k" },
        { op: "create", path: "/t", mode: "persistent_with_ttl", ttlMs: 600_000 },
        { op: "create", path: "/t/s-", mode: "persistent_sequential_with_ttl", ttlMs: 1 },
      ],
      { expect: "OK" },
    );
  });

  scenario("multi/read: each op answered on its own", async (z) => {
    await z.create("/a", { data: "x" });
    await z.create("/a/b");
    await z.create("/secret", { data: "s", acl: [{ perms: "cdwa", scheme: "world", id: "anyone" }] });
    await z.multiRead(
      [
        { op: "getData", path: "/a" },
        { op: "getChildren", path: "/a" },
        { op: "getData", path: "/missing" },
        { op: "getChildren", path: "/missing" },
        { op: "getData", path: "/secret" },
        { op: "getChildren", path: "/" },
      ],
      { expect: "OK" },
    );
    await z.multiRead([], { expect: "OK" });
    await z.multiRead([{ op: "getData", path: "/a/" }], { expect: "BADARGUMENTS" });
  });
});

describe("containers and TTL nodes", () => {
  scenario("a container with children, emptied (no reaper runs during a trace)", async (z) => {
    await z.create("/c", { mode: "container", data: "c", expect: "OK" });
    await z.create("/c/a", { expect: "OK" });
    await z.create("/c/s-", { mode: "persistent_sequential", expect: "OK" });
    await z.del("/c/a");
    await z.get("/c");
    await z.create("/c2", { mode: "container", acl: READ_ONLY, expect: "OK" });
  });

  scenario("TTL nodes: valid and invalid TTLs", async (z) => {
    await z.create("/t", { mode: "persistent_with_ttl", ttlMs: 600_000, expect: "OK" });
    await z.create("/t/s-", { mode: "persistent_sequential_with_ttl", ttlMs: 1, expect: "OK" });
    await z.create("/t/max", { mode: "persistent_with_ttl", ttlMs: 0xffffffffff, expect: "OK" });
    await z.create("/t/zero", { mode: "persistent_with_ttl", ttlMs: 0, expect: "BADARGUMENTS" });
    await z.create("/t/over", { mode: "persistent_with_ttl", ttlMs: 0x10000000000, expect: "BADARGUMENTS" });
    await z.create("/t/plain", { mode: "persistent", ttlMs: 5000, expect: "BADARGUMENTS" });
    await z.create("/t/kid", { expect: "OK" });
  });
});

describe("the container and TTL reaper", () => {
  // ZooKeeper's ContainerManager runs every 500 ms here, so nothing it could
  // reap may exist between steps until the reap: containers and TTL nodes get
  // their children in the multi that creates them and lose them in the multi
  // just before the reap (whose trees are not read: the reaper may already run).
  // Several nodes reaped in one run share a parent: ZooKeeper deletes them in
  // the order of a HashSet of paths, which no client can rely on, and only the
  // parent's pzxid (the last deletion's zxid either way) records it.
  scenario(
    "empty containers that had children and expired TTL nodes go; the others stay",
    async (z) => {
      await z.create("/p");
      await z.multi(
        [
          { op: "create", path: "/c", mode: "container" },
          { op: "create", path: "/c/kid" },
          { op: "create", path: "/t", mode: "persistent_with_ttl", ttlMs: 1 },
          { op: "create", path: "/t/kid" },
          { op: "create", path: "/p/u", mode: "persistent_with_ttl", ttlMs: 1 },
          { op: "create", path: "/p/u/kid" },
          { op: "create", path: "/never-used", mode: "container" },
          { op: "create", path: "/long", mode: "persistent_with_ttl", ttlMs: 3_600_000 },
          { op: "create", path: "/full", mode: "container" },
          { op: "create", path: "/full/a" },
          { op: "create", path: "/full/b" },
        ],
        { expect: "OK" },
      );
      await z.multi(
        [
          { op: "delete", path: "/c/kid" },
          { op: "delete", path: "/t/kid" },
          { op: "delete", path: "/full/a" },
        ],
        { expect: "OK", tree: false },
      );
      await z.reap();
      await z.create("/after", { expect: "OK" });
    },
    { reaperMs: 500, timeout: 90_000 },
  );

  scenario(
    "a container emptied by its ephemeral child's expiry",
    async (z) => {
      await z.open("s1", { timeoutMs: 1000 });
      await z.multi(
        [
          { op: "create", path: "/c", mode: "container" },
          { op: "create", path: "/c/e", mode: "ephemeral" },
        ],
        { as: "s1", expect: "OK" },
      );
      await z.expire("s1", { tree: false });
      await z.reap();
    },
    { reaperMs: 500, timeout: 90_000 },
  );
});

describe("ACLs and authentication", () => {
  scenario(
    "digest identities: addAuthInfo on ZooKeeper, Authorization: Basic on the service",
    async (z) => {
      const alice = await digest(ALICE);
      await z.create("/a", { data: "mine", acl: [{ perms: "cdrwa", scheme: "auth", id: "" }], as: "alice", expect: "OK" });
      await z.getAcl("/a", { expect: "NOAUTH" });
      await z.getAcl("/a", { as: "alice", expect: "OK" });
      await z.get("/a", { as: "alice", expect: "OK" });
      await z.get("/a", { expect: "NOAUTH" });
      await z.get("/a", { as: "bob", expect: "NOAUTH" });
      await z.exists("/a", { as: "bob", expect: "OK" });
      await z.children("/a", { as: "bob", expect: "NOAUTH" });
      await z.set("/a", "x", { as: "bob", expect: "NOAUTH" });
      await z.create("/a/kid", { as: "bob", expect: "NOAUTH" });
      await z.create("/a/kid", { as: "alice", expect: "OK" });
      await z.del("/a/kid", { as: "bob", expect: "NOAUTH" });
      await z.setAcl("/a", OPEN, { as: "bob", expect: "NOAUTH" });
      await z.create("/b", { acl: [{ perms: "r", scheme: "digest", id: alice }, { perms: "cdrwa", scheme: "world", id: "anyone" }], expect: "OK" });
      await z.getAcl("/b");
      await z.create("/auth-without-credentials", { acl: [{ perms: "cdrwa", scheme: "auth", id: "" }], expect: "INVALIDACL" });
      await z.setAcl("/a", [{ perms: "cdrwa", scheme: "auth", id: "" }, { perms: "r", scheme: "world", id: "anyone" }], { as: "alice", expect: "OK" });
      await z.get("/a", { as: "bob", expect: "OK" });
      await z.del("/a/kid", { as: "alice", expect: "OK" });
    },
    { anonymous: ACTORS },
  );

  scenario("a session's identity: ephemerals under a digest ACL", async (z) => {
    await z.open("s1", { auth: ALICE });
    await z.create("/mine", { acl: [{ perms: "cdrwa", scheme: "auth", id: "" }], as: "s1", expect: "OK" });
    await z.create("/mine/e", { mode: "ephemeral", as: "s1", expect: "OK" });
    await z.create("/mine/f", { expect: "NOAUTH" });
    await z.get("/mine", { as: "s1", expect: "OK" });
    await z.close("s1");
  });

  scenario("setACL and getACL: aversion, BADVERSION, NONODE, INVALIDACL; duplicates dropped", async (z) => {
    await z.create("/h", { data: "d" });
    await z.getAcl("/h", { expect: "OK" });
    await z.setAcl("/h", OPEN, { aversion: 0, expect: "OK" });
    await z.setAcl("/h", OPEN, { aversion: 0, expect: "BADVERSION" });
    await z.setAcl("/h", OPEN, { aversion: 5, expect: "BADVERSION" });
    await z.setAcl("/h", [{ perms: "rwa", scheme: "world", id: "anyone" }], { aversion: -1, expect: "OK" });
    await z.getAcl("/h", { expect: "OK" });
    await z.setAcl("/h", OPEN, { aversion: 2, expect: "OK" });
    await z.setAcl("/h", [...OPEN, ...OPEN], { expect: "OK" });
    await z.getAcl("/h", { expect: "OK" });
    await z.setAcl("/nope", OPEN, { expect: "NONODE" });
    await z.setAcl("/h", [], { expect: "INVALIDACL" });
    await z.setAcl("/h", [{ perms: "cdrwa", scheme: "auth", id: "" }], { expect: "INVALIDACL" });
    await z.setAcl("/h", [{ perms: "cdrwa", scheme: "bogus", id: "x" }], { expect: "INVALIDACL" });
    await z.setAcl("/h", [{ perms: "cdrwa", scheme: "digest", id: "no-colon" }], { expect: "INVALIDACL" });
    await z.setAcl("/h", [{ perms: "cdrwa", scheme: "ip", id: "not-an-ip" }], { expect: "INVALIDACL" });
    await z.create("/e", { acl: [], expect: "INVALIDACL" });
    await z.create("/e", { acl: [{ perms: "cdrwa", scheme: "world", id: "someone" }], expect: "INVALIDACL" });
    await z.getAcl("/h");
  });

  scenario("what each permission guards: READ, WRITE, CREATE, DELETE, ADMIN, none", async (z) => {
    await z.create("/ro", { data: "r", acl: READ_ONLY });
    await z.set("/ro", "x", { expect: "NOAUTH" });
    await z.create("/ro/x", { expect: "NOAUTH" });
    await z.del("/ro", { expect: "OK" });
    await z.create("/admin", { acl: [{ perms: "a", scheme: "world", id: "anyone" }] });
    await z.get("/admin", { expect: "NOAUTH" });
    await z.exists("/admin", { expect: "OK" });
    await z.children("/admin", { expect: "NOAUTH" });
    await z.getAcl("/admin", { expect: "OK" });
    await z.setAcl("/admin", [{ perms: "ca", scheme: "world", id: "anyone" }], { expect: "OK" });
    await z.create("/admin/kid", { expect: "OK" });
    await z.del("/admin/kid", { expect: "NOAUTH" });
    await z.create("/none", { acl: [{ perms: "", scheme: "world", id: "anyone" }], expect: "OK" });
    await z.getAcl("/none", { expect: "NOAUTH" });
    await z.get("/none", { expect: "NOAUTH" });
    await z.setAcl("/none", OPEN, { expect: "NOAUTH" });
    await z.create("/mixed", { acl: [{ perms: "r", scheme: "world", id: "anyone" }, { perms: "w", scheme: "world", id: "anyone" }, { perms: "d", scheme: "ip", id: "127.0.0.1" }] });
    await z.set("/mixed", "ok", { expect: "OK" });
    await z.getAcl("/mixed", { expect: "OK" });
  });

  scenario("which check comes first: ACL fix-up, parent, permission, existence, version, children", async (z) => {
    const bogus = [{ perms: "cdrwa", scheme: "bogus", id: "x" }];
    await z.create("/ro", { data: "r", acl: READ_ONLY });
    await z.create("/ro-kid", { acl: [{ perms: "rw", scheme: "world", id: "anyone" }] });
    await z.create("/open");
    await z.create("/open/kid");
    await z.create("/admin", { acl: [{ perms: "a", scheme: "world", id: "anyone" }] });
    // create: the ACL is fixed up before the parent is looked up, the permission before existence.
    await z.create("/nope/x", { acl: bogus, expect: "INVALIDACL" });
    await z.create("/ro/x", { acl: bogus, expect: "INVALIDACL" });
    await z.create("/ro/x", { expect: "NOAUTH" });
    await z.create("/open", { acl: bogus, expect: "INVALIDACL" });
    await z.create("/open", { expect: "NODEEXISTS" });
    // setData: existence, then permission, then version.
    await z.set("/nope", "x", { version: 9, expect: "NONODE" });
    await z.set("/ro", "x", { version: 9, expect: "NOAUTH" });
    // delete: the parent's permission before the node's existence, version before children.
    await z.del("/ro/missing", { expect: "NOAUTH" });
    await z.del("/open/missing", { version: 3, expect: "NONODE" });
    await z.del("/open", { version: 3, expect: "BADVERSION" });
    // setACL: fix-up, existence, permission, version.
    await z.setAcl("/nope", bogus, { expect: "INVALIDACL" });
    await z.setAcl("/nope", OPEN, { aversion: 4, expect: "NONODE" });
    await z.setAcl("/ro", OPEN, { aversion: 4, expect: "NOAUTH" });
    // check (in a multi): existence, then READ, then version.
    await z.multi([{ op: "check", path: "/admin", version: 7 }], { expect: "NOAUTH" });
    await z.multi([{ op: "check", path: "/ro-kid", version: 7 }], { expect: "BADVERSION" });
    await z.multi([{ op: "check", path: "/nope", version: 7 }], { expect: "NONODE" });
  });

  scenario("the ip scheme: 127.0.0.1, a subnet, another address", async (z) => {
    await z.create("/ip", { acl: [{ perms: "cdrwa", scheme: "ip", id: "127.0.0.1" }], expect: "OK" });
    await z.get("/ip", { expect: "OK" });
    await z.create("/net", { acl: [{ perms: "r", scheme: "ip", id: "127.0.0.0/8" }], expect: "OK" });
    await z.get("/net", { expect: "OK" });
    await z.set("/net", "x", { expect: "NOAUTH" });
    await z.create("/far", { acl: [{ perms: "cdrwa", scheme: "ip", id: "10.1.2.3" }], expect: "OK" });
    await z.get("/far", { expect: "NOAUTH" });
  });

  scenario("multi and multi/read check ACLs op by op", async (z) => {
    await z.create("/locked", { data: "l", acl: READ_ONLY });
    await z.multi([{ op: "create", path: "/free" }, { op: "setData", path: "/locked", data: "x" }], { expect: "NOAUTH" });
    await z.multi([{ op: "check", path: "/locked", version: 0 }, { op: "create", path: "/free" }], { expect: "OK" });
    await z.multi([{ op: "create", path: "/locked/kid" }], { expect: "NOAUTH" });
  });
});

describe("sync", () => {
  scenario("sync answers for an existing and a missing path, spending nothing", async (z) => {
    await z.create("/a");
    await z.sync("/a", { expect: "OK" });
    await z.sync("/missing", { expect: "OK" });
    await z.sync("/", { expect: "OK" });
    await z.sync("/a/", { expect: "BADARGUMENTS" });
    await z.create("/b", { expect: "OK" });
  });
});

describe("watches", () => {
  // ZooKeeper's events reach the connection that set the watch; the service's
  // are asked for with /v1/watch from the read's zxid. Compared: whether a
  // watch was set, and the type and path of its first event.
  scenario("each kind of watch gets its first event, and only the kinds it is told of", async (z) => {
    await z.create("/w", { data: "0" });
    await z.create("/w/c");
    await z.watch("d", "data", "/w", { expect: "OK" });
    await z.watch("e", "exists", "/w", { expect: "OK" });
    await z.watch("k", "children", "/w", { expect: "OK" });
    await z.watch("new", "exists", "/nx", { expect: "NONODE" });
    await z.watch("unset", "data", "/nx", { expect: "NONODE" });
    await z.watch("kids", "children", "/nx", { expect: "NONODE" });
    await z.watch("cd", "data", "/w/c", { expect: "OK" });
    await z.watch("ck", "children", "/w/c", { expect: "OK" });
    for (const name of ["d", "e", "k", "new", "unset", "kids", "cd", "ck"]) await z.events(name);
    await z.set("/w", "1", { expect: "OK" });
    await z.events("d", { event: "NodeDataChanged /w" });
    await z.events("e", { event: "NodeDataChanged /w" });
    await z.events("k", { event: "none" });
    await z.create("/nx", { expect: "OK" });
    await z.events("new", { event: "NodeCreated /nx" });
    await z.events("unset", { event: "unset" });
    await z.create("/w/c2", { expect: "OK" });
    await z.events("k", { event: "NodeChildrenChanged /w" });
    await z.del("/w/c", { expect: "OK" });
    await z.events("cd", { event: "NodeDeleted /w/c" });
    await z.events("ck", { event: "NodeDeleted /w/c" });
    // A watch set again after its event sees the next one; the old one keeps its first.
    await z.watch("d2", "data", "/w", { expect: "OK" });
    await z.set("/w", "2", { expect: "OK" });
    await z.events("d2", { event: "NodeDataChanged /w" });
    await z.del("/w/c2", { expect: "OK" });
    await z.watch("d3", "data", "/w", { expect: "OK" });
    await z.del("/w", { expect: "OK" });
    await z.events("d3", { event: "NodeDeleted /w" });
    await z.events("d", { event: "NodeDataChanged /w" });
  });

  scenario("writes that change nothing a watch covers: setACL, failed writes, a child's data, sync", async (z) => {
    await z.create("/w");
    await z.create("/w/c");
    await z.watch("d", "data", "/w", { expect: "OK" });
    await z.watch("k", "children", "/w", { expect: "OK" });
    await z.setAcl("/w", OPEN, { expect: "OK" });
    await z.set("/w", "x", { version: 9, expect: "BADVERSION" });
    await z.create("/w/c", { expect: "NODEEXISTS" });
    await z.del("/w", { expect: "NOTEMPTY" });
    await z.set("/w/c", "x", { expect: "OK" });
    await z.sync("/w", { expect: "OK" });
    await z.events("d", { event: "none" });
    await z.events("k", { event: "none" });
  });

  scenario("multi: the first event of each watch, in the multi's op order", async (z) => {
    await z.create("/p");
    await z.create("/p/c");
    await z.create("/a");
    await z.watch("m", "exists", "/m", { expect: "NONODE" });
    await z.watch("a", "data", "/a", { expect: "OK" });
    await z.watch("p", "children", "/p", { expect: "OK" });
    await z.watch("pc", "data", "/p/c", { expect: "OK" });
    await z.multi(
      [
        { op: "create", path: "/m" },
        { op: "setData", path: "/m", data: "x" },
        { op: "delete", path: "/a" },
        { op: "create", path: "/a" },
        { op: "delete", path: "/p/c" },
        { op: "delete", path: "/p" },
      ],
      { expect: "OK" },
    );
    await z.events("m", { event: "NodeCreated /m" });
    await z.events("a", { event: "NodeDeleted /a" });
    await z.events("p", { event: "NodeChildrenChanged /p" });
    await z.events("pc", { event: "NodeDeleted /p/c" });
    // A child created and deleted in one multi: its parent's children changed.
    await z.create("/q");
    await z.watch("q", "children", "/q", { expect: "OK" });
    await z.multi([{ op: "create", path: "/q/x" }, { op: "delete", path: "/q/x" }], { expect: "OK" });
    await z.events("q", { event: "NodeChildrenChanged /q" });
    // Set then deleted, created then deleted, a child come and gone before its parent goes: only
    // the net effect is stored, yet each watch gets ZooKeeper's first event.
    await z.create("/s");
    await z.create("/r");
    await z.watch("s", "data", "/s", { expect: "OK" });
    await z.watch("f", "exists", "/f", { expect: "NONODE" });
    await z.watch("r", "children", "/r", { expect: "OK" });
    await z.multi(
      [
        { op: "setData", path: "/s", data: "x" },
        { op: "delete", path: "/s" },
        { op: "create", path: "/f" },
        { op: "delete", path: "/f" },
        { op: "create", path: "/r/k" },
        { op: "delete", path: "/r/k" },
        { op: "delete", path: "/r" },
      ],
      { expect: "OK" },
    );
    await z.events("s", { event: "NodeDataChanged /s" });
    await z.events("f", { event: "NodeCreated /f" });
    await z.events("r", { event: "NodeChildrenChanged /r" });
    // A failed multi changes nothing.
    await z.watch("q2", "children", "/q", { expect: "OK" });
    await z.multi([{ op: "create", path: "/q/y" }, { op: "delete", path: "/nope" }], { expect: "NONODE" });
    await z.events("q2", { event: "none" });
  });

  scenario("ephemeral expiry and close: NodeDeleted for the node, NodeChildrenChanged for its parent", async (z) => {
    await z.create("/e");
    await z.open("s1", { timeoutMs: 1000 });
    await z.open("s2", { timeoutMs: 10_000 });
    await z.create("/e/x", { as: "s1", mode: "ephemeral", expect: "OK" });
    await z.create("/e/y", { as: "s2", mode: "ephemeral", expect: "OK" });
    await z.watch("x", "data", "/e/x", { expect: "OK" });
    await z.watch("e", "children", "/e", { expect: "OK" });
    await z.expire("s1", { tree: false });
    await z.events("x", { event: "NodeDeleted /e/x" });
    await z.events("e", { event: "NodeChildrenChanged /e" });
    await z.watch("y", "exists", "/e/y", { expect: "OK" });
    await z.watch("e2", "children", "/e", { expect: "OK" });
    await z.close("s2", { expect: "OK" });
    await z.events("y", { event: "NodeDeleted /e/y" });
    await z.events("e2", { event: "NodeChildrenChanged /e" });
  });

  scenario("a session's watches end with it", async (z) => {
    await z.create("/w");
    await z.open("s1", { timeoutMs: 10_000 });
    await z.watch("d", "data", "/w", { as: "s1", expect: "OK" });
    await z.set("/w", "x", { expect: "OK" });
    await z.events("d", { as: "s1", event: "NodeDataChanged /w" });
    await z.watch("d2", "data", "/w", { as: "s1", expect: "OK" });
    await z.close("s1", { expect: "OK" });
    await z.events("d2", { as: "s1", expect: "SESSIONEXPIRED" });
    await z.watch("d3", "data", "/w", { as: "s1", expect: "SESSIONEXPIRED" });
    await z.open("s1", { timeoutMs: 10_000 });
    await z.events("d2", { as: "s1", event: "gone" });
    await z.events("d3", { as: "s1", event: "gone" });
  });

  scenario("READ: needed to set data and children watches, and (3.8.4+) to be told of any event", async (z) => {
    await z.create("/secret", { acl: [{ perms: "wa", scheme: "world", id: "anyone" }] });
    await z.watch("d", "data", "/secret", { expect: "NOAUTH" });
    await z.watch("k", "children", "/secret", { expect: "NOAUTH" });
    await z.watch("e", "exists", "/secret", { expect: "OK" });
    await z.watch("hidden", "exists", "/hidden", { expect: "NONODE" });
    // The events happen, but a watcher without READ on the node then is not told: its watch is spent.
    await z.set("/secret", "x", { expect: "OK" });
    await z.create("/hidden", { acl: [{ perms: "w", scheme: "world", id: "anyone" }], expect: "OK" });
    await z.setAcl("/secret", OPEN, { expect: "OK" });
    await z.set("/secret", "y", { expect: "OK" });
    await z.events("d", { event: "unset" });
    await z.events("k", { event: "unset" });
    await z.events("e", { event: "none" });
    await z.events("hidden", { event: "none" });
    await z.watch("e2", "exists", "/secret", { expect: "OK" });
    await z.set("/secret", "z", { expect: "OK" });
    await z.events("e2", { event: "NodeDataChanged /secret" });
  });
});

describe("watches and the reaper", () => {
  scenario(
    "a reaped container fires NodeDeleted and its parent's NodeChildrenChanged",
    async (z) => {
      await z.create("/p");
      await z.multi(
        [
          { op: "create", path: "/p/c", mode: "container" },
          { op: "create", path: "/p/c/kid" },
        ],
        { expect: "OK" },
      );
      await z.watch("c", "exists", "/p/c", { expect: "OK" });
      await z.watch("p", "children", "/p", { expect: "OK" });
      // Its trees are not read: the reaper may already run.
      await z.multi([{ op: "delete", path: "/p/c/kid" }], { expect: "OK", tree: false });
      await z.reap();
      await z.events("c", { event: "NodeDeleted /p/c" });
      await z.events("p", { event: "NodeChildrenChanged /p" });
    },
    { reaperMs: 500, timeout: 90_000 },
  );
});

describe("persistent watches (addWatch)", () => {
  // The service side reads /v1/events from the zxid the watch was added at,
  // for a second and a half, and compares every event's type and path in order.
  scenario(
    "a node's events and its children changing; recursively, every node event below",
    async (z) => {
      // Two watchers: ZooKeeper keeps one mode per connection and path (a second addWatch replaces the first).
      await z.open("w", { timeoutMs: 10_000 });
      await z.addWatch("p", "/p", { expect: "OK" });
      await z.addWatch("r", "/p", { as: "w", recursive: true, expect: "OK" });
      await z.create("/p", { expect: "OK" });
      await z.set("/p", "x", { expect: "OK" });
      await z.create("/p/c", { expect: "OK" });
      await z.set("/p/c", "y", { expect: "OK" });
      await z.create("/p/c/g", { expect: "OK" });
      await z.setAcl("/p/c/g", OPEN, { expect: "OK" });
      await z.del("/p/c/g", { expect: "OK" });
      await z.del("/p/c", { expect: "OK" });
      await z.multi(
        [
          { op: "create", path: "/p/m" },
          { op: "setData", path: "/p/m", data: "1" },
          { op: "delete", path: "/p/m" },
        ],
        { expect: "OK" },
      );
      await z.multi([{ op: "create", path: "/p/n" }, { op: "delete", path: "/nope" }], { expect: "NONODE" });
      await z.del("/p", { expect: "OK" });
      await z.create("/px", { expect: "OK" });
      await z.events("p", {
        heard: ["NodeCreated /p", "NodeDataChanged /p", "NodeChildrenChanged /p", "NodeChildrenChanged /p", "NodeChildrenChanged /p", "NodeChildrenChanged /p", "NodeDeleted /p"],
      });
      await z.events("r", {
        as: "w",
        heard: [
          "NodeCreated /p",
          "NodeDataChanged /p",
          "NodeCreated /p/c",
          "NodeDataChanged /p/c",
          "NodeCreated /p/c/g",
          "NodeDeleted /p/c/g",
          "NodeDeleted /p/c",
          "NodeCreated /p/m",
          "NodeDataChanged /p/m",
          "NodeDeleted /p/m",
          "NodeDeleted /p",
        ],
      });
    },
    { timeout: 90_000 },
  );

  scenario(
    "expiry, a session's own watch, READ at each event, the root",
    async (z) => {
      await z.create("/e");
      await z.open("s1", { timeoutMs: 1000 });
      await z.open("s2", { timeoutMs: 10_000 });
      await z.create("/e/x", { as: "s1", mode: "ephemeral", expect: "OK" });
      await z.addWatch("all", "/", { recursive: true, expect: "OK" });
      await z.addWatch("mine", "/e", { as: "s2", expect: "OK" });
      await z.expire("s1", { tree: false });
      await z.create("/e/secret", { acl: [{ perms: "w", scheme: "world", id: "anyone" }], expect: "OK" });
      await z.set("/e/secret", "s", { expect: "OK" });
      await z.set("/e", "e", { expect: "OK" });
      await z.events("all", { heard: ["NodeDeleted /e/x", "NodeDataChanged /e"] });
      await z.events("mine", { as: "s2", heard: ["NodeChildrenChanged /e", "NodeChildrenChanged /e", "NodeDataChanged /e"] });
      await z.close("s2", { expect: "OK" });
      await z.events("mine", { as: "s2", expect: "SESSIONEXPIRED" });
    },
    { timeout: 90_000 },
  );
});
