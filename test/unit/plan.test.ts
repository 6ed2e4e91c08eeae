// lib/plan.ts: the in-memory planner against ZooKeeper 3.8's
// PrepRequestProcessor. Every write's outcome is decided here, so these pin
// the order of its checks (the first failing check is the code a client sees),
// the znodes it produces, the per-op codes of a failed multi, and what the
// commit must guard (deps, assumedAbsent), without etcd.
import { describe, expect, test } from "vitest";
import { OPEN_ACL_UNSAFE, PERMS } from "../../lib/acl.js";
import { ZkError } from "../../lib/errors.js";
import type { AclEntry, Caller, CreateMode, WriteOp, ZNode } from "../../lib/model.js";
import { NeedPaths, plan, type Dependency, type Loaded, type Part, type Plan } from "../../lib/plan.js";

const { READ, WRITE, CREATE, DELETE, ADMIN, ALL } = PERMS;
const NOW = 1_700_000_000_000;
const SESSION = 0x1000_0000_0000_0042n;
const DIGEST = "alice:E9KDqIDb3nwsb1ucfjnpvsBbVqc="; // any user:hash shape; fixupAcl checks only that

const caller: Caller = { ids: [{ scheme: "ip", id: "10.0.0.7" }], session: SESSION };
const alice: Caller = { ids: [{ scheme: "ip", id: "10.0.0.7" }, { scheme: "digest", id: DIGEST }], session: SESSION };

const bytes = (s: string) => new TextEncoder().encode(s);
const acl = (perms: number, scheme = "world", id = "anyone"): AclEntry[] => [{ perms, scheme, id }];

/** A committed znode: every zxid resolved, nothing pending. */
function znode(path: string, over: Partial<ZNode> = {}): ZNode {
  return {
    path,
    kind: "persistent",
    owner: 0n,
    ttlMs: 0,
    czxid: 10n,
    mzxid: 11n,
    pzxid: 12n,
    ctime: 1000,
    mtime: 2000,
    version: 0,
    aversion: 0,
    seq: 0,
    data: bytes("old"),
    acl: OPEN_ACL_UNSAFE,
    numChildren: 0,
    ...over,
  };
}

/** What a read loaded: znodes, and paths known to be absent. */
function loaded(nodes: ZNode[], absent: string[] = []): Loaded {
  const m = new Map<string, ZNode | null>();
  for (const n of nodes) m.set(n.path, n);
  for (const p of absent) m.set(p, null);
  return { nodes: m };
}

const create = (path: string, mode: CreateMode = "persistent", over: Partial<Extract<WriteOp, { op: "create" }>> = {}): WriteOp => ({
  op: "create",
  path,
  data: bytes("new"),
  acl: OPEN_ACL_UNSAFE,
  mode,
  ttlMs: 0,
  ...over,
});
const del = (path: string, version = -1): WriteOp => ({ op: "delete", path, version });
const setData = (path: string, data: string, version = -1): WriteOp => ({ op: "setData", path, data: bytes(data), version });
const check = (path: string, version = -1): WriteOp => ({ op: "check", path, version });
const setACL = (path: string, entries: AclEntry[], version = -1): WriteOp => ({ op: "setACL", path, acl: entries, version });

type Ok = Extract<Plan, { ok: true }>;

function ok(p: Plan): Ok {
  if (!p.ok) throw new Error(`expected success, got ${p.error.code}: ${p.error.message}`);
  return p;
}

function failure(p: Plan): ZkError {
  if (p.ok) throw new Error("expected the plan to fail");
  expect(p.error).toBeInstanceOf(ZkError);
  return p.error;
}

const codesOf = (p: Plan) => failure(p).results!.map((r) => r.code);

function depsOf(p: Ok, path: string): Record<string, Dependency> {
  return Object.fromEntries(p.deps.get(path) ?? new Map<Part, Dependency>());
}

function needPathsOf(f: () => unknown): string[] {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(NeedPaths);
    return (e as NeedPaths).paths;
  }
  throw new Error("expected NeedPaths");
}

describe("create", () => {
  const parent = znode("/a", { seq: 4, numChildren: 2, version: 3, data: bytes("parent") });

  test("a plain create makes a fresh znode whose zxids are left to the txn", () => {
    const p = ok(plan(loaded([parent], ["/a/b"]), [create("/a/b")], caller, NOW));
    expect(p.results).toEqual([{ op: "create", path: "/a/b", node: p.changes.get("/a/b")!.after }]);
    expect(p.changes.get("/a/b")!.after).toEqual({
      path: "/a/b",
      kind: "persistent",
      owner: 0n,
      ttlMs: 0,
      czxid: null,
      mzxid: null,
      pzxid: null,
      ctime: NOW,
      mtime: NOW,
      version: 0,
      aversion: 0,
      seq: 0,
      data: bytes("new"),
      acl: OPEN_ACL_UNSAFE,
      numChildren: 0,
    });
  });

  test("the new znode writes all its keys; the parent only its creations counter", () => {
    const p = ok(plan(loaded([parent], ["/a/b"]), [create("/a/b")], caller, NOW));
    const child = p.changes.get("/a/b")!;
    expect(child.before).toBeNull();
    expect([...child.parts].sort()).toEqual(["acl", "creations", "deletions", "node"]);
    const par = p.changes.get("/a")!;
    expect(par.before).toBe(parent);
    expect([...par.parts]).toEqual(["creations"]);
  });

  test("the parent's cversion (seq) and numChildren go up by one and its pzxid becomes the txn's; nothing else of it changes", () => {
    const p = ok(plan(loaded([parent], ["/a/b"]), [create("/a/b")], caller, NOW));
    expect(p.changes.get("/a")!.after).toEqual({ ...parent, seq: 5, numChildren: 3, pzxid: null });
  });

  test("a plain create relies on the parent's creation count only as a value, so creates of other children do not collide", () => {
    const p = ok(plan(loaded([parent], ["/a/b"]), [create("/a/b")], caller, NOW));
    expect(depsOf(p, "/a")).toEqual({ node: "identity", acl: "exact", creations: "value" });
    expect(depsOf(p, "/a/b")).toEqual({ node: "exact" });
    expect(p.assumedAbsent.size).toBe(0);
  });

  test("a create under the root", () => {
    const root = znode("/", { seq: 1, numChildren: 1 });
    const p = ok(plan(loaded([root], ["/x"]), [create("/x")], caller, NOW));
    expect(p.changes.get("/")!.after).toMatchObject({ seq: 2, numChildren: 2, pzxid: null });
    expect(depsOf(p, "/")).toEqual({ node: "identity", acl: "exact", creations: "value" });
  });

  test("missing parent: NONODE, reported at the path being created", () => {
    const e = failure(plan(loaded([], ["/a"]), [create("/a/b")], caller, NOW));
    expect(e.code).toBe("NONODE");
    expect(e.path).toBe("/a/b");
    expect(e.results).toEqual([{ code: "NONODE" }]);
  });

  test("existing node: NODEEXISTS", () => {
    const e = failure(plan(loaded([parent, znode("/a/b")]), [create("/a/b")], caller, NOW));
    expect(e.code).toBe("NODEEXISTS");
    expect(e.path).toBe("/a/b");
  });

  test("ephemeral parent: NOCHILDRENFOREPHEMERALS", () => {
    const eph = znode("/e", { kind: "ephemeral", owner: SESSION });
    const e = failure(plan(loaded([eph], ["/e/c"]), [create("/e/c")], caller, NOW));
    expect(e.code).toBe("NOCHILDRENFOREPHEMERALS");
  });

  test.each(["container", "ttl"] as const)("a %s parent may have children (only EphemeralType.NORMAL refuses them)", (kind) => {
    const par = znode("/p", { kind, ttlMs: kind === "ttl" ? 60_000 : 0 });
    const p = ok(plan(loaded([par], ["/p/c"]), [create("/p/c")], caller, NOW));
    expect(p.changes.get("/p")!.after).toMatchObject({ seq: 1, numChildren: 1 });
  });

  test("parent's ACL without CREATE: NOAUTH, whatever the new node's own ACL", () => {
    const locked = znode("/a", { acl: acl(ALL & ~CREATE) });
    const e = failure(plan(loaded([locked], ["/a/b"]), [create("/a/b")], caller, NOW));
    expect(e.code).toBe("NOAUTH");
  });

  test("CREATE granted to the caller's address is enough", () => {
    const byIp = znode("/a", { acl: acl(CREATE, "ip", "10.0.0.0/8") });
    ok(plan(loaded([byIp], ["/a/b"]), [create("/a/b")], caller, NOW));
  });

  test("CREATE granted to the caller's digest is enough; another's is not", () => {
    const byDigest = znode("/a", { acl: acl(CREATE, "digest", DIGEST) });
    ok(plan(loaded([byDigest], ["/a/b"]), [create("/a/b")], alice, NOW));
    expect(failure(plan(loaded([byDigest], ["/a/b"]), [create("/a/b")], caller, NOW)).code).toBe("NOAUTH");
  });

  describe("checks in PrepRequestProcessor's order: ACL fix-up, parent, CREATE, existence, ephemeral parent", () => {
    test("INVALIDACL before NONODE", () => {
      const e = failure(plan(loaded([], ["/a"]), [create("/a/b", "persistent", { acl: [] })], caller, NOW));
      expect(e.code).toBe("INVALIDACL");
    });

    test("NOAUTH before NODEEXISTS", () => {
      const locked = znode("/a", { acl: acl(READ) });
      const e = failure(plan(loaded([locked, znode("/a/b")]), [create("/a/b")], caller, NOW));
      expect(e.code).toBe("NOAUTH");
    });

    test("NOAUTH before NOCHILDRENFOREPHEMERALS", () => {
      const eph = znode("/e", { kind: "ephemeral", owner: SESSION, acl: acl(READ) });
      const e = failure(plan(loaded([eph], ["/e/c"]), [create("/e/c")], caller, NOW));
      expect(e.code).toBe("NOAUTH");
    });

    test("NODEEXISTS before NOCHILDRENFOREPHEMERALS", () => {
      // Not a state ZooKeeper can reach, but it pins which check comes first.
      const eph = znode("/e", { kind: "ephemeral", owner: SESSION, numChildren: 1, seq: 1 });
      const e = failure(plan(loaded([eph, znode("/e/c")]), [create("/e/c")], caller, NOW));
      expect(e.code).toBe("NODEEXISTS");
    });
  });

  describe("sequential", () => {
    const queue = znode("/q", { seq: 7, numChildren: 2 });

    test("the name is the prefix and the parent's cversion (seq, not numChildren), 10 digits zero-padded", () => {
      const p = ok(plan(loaded([queue]), [create("/q/job-", "persistent_sequential")], caller, NOW));
      expect(p.results[0]).toMatchObject({ op: "create", path: "/q/job-0000000007" });
      expect(p.changes.get("/q/job-0000000007")!.after).toMatchObject({ path: "/q/job-0000000007", kind: "persistent" });
      expect(p.changes.get("/q")!.after).toMatchObject({ seq: 8, numChildren: 3 });
    });

    test("a prefix ending in / names the child by its number alone", () => {
      const p = ok(plan(loaded([queue]), [create("/q/", "persistent_sequential")], caller, NOW));
      expect(p.results[0]!.path).toBe("/q/0000000007");
    });

    test("large counters fill the 10 digits", () => {
      const big = znode("/q", { seq: 1_234_567_890 });
      const p = ok(plan(loaded([big]), [create("/q/n", "persistent_sequential")], caller, NOW));
      expect(p.results[0]!.path).toBe("/q/n1234567890");
    });

    test("a name the read did not load is assumed absent, for the commit to check", () => {
      const p = ok(plan(loaded([queue]), [create("/q/job-", "persistent_sequential")], caller, NOW));
      expect([...p.assumedAbsent]).toEqual(["/q/job-0000000007"]);
    });

    test("it depends on the exact creation count, which chose the name", () => {
      const p = ok(plan(loaded([queue]), [create("/q/job-", "persistent_sequential")], caller, NOW));
      expect(depsOf(p, "/q")).toEqual({ node: "identity", acl: "exact", creations: "exact" });
      expect(depsOf(p, "/q/job-0000000007")).toEqual({ node: "exact" });
    });

    test("a loaded znode already at the name: NODEEXISTS at the full name, nothing assumed", () => {
      const taken = znode("/q/job-0000000007");
      const p = plan(loaded([queue, taken]), [create("/q/job-", "persistent_sequential")], caller, NOW);
      const e = failure(p);
      expect(e.code).toBe("NODEEXISTS");
      expect(e.path).toBe("/q/job-0000000007");
      expect(p.assumedAbsent.size).toBe(0);
    });

    test("ephemeral_sequential is both ephemeral and numbered", () => {
      const p = ok(plan(loaded([queue]), [create("/q/lock-", "ephemeral_sequential")], caller, NOW));
      expect(p.results[0]!.path).toBe("/q/lock-0000000007");
      expect(p.changes.get("/q/lock-0000000007")!.after).toMatchObject({ kind: "ephemeral", owner: SESSION });
    });

    test("persistent_sequential_with_ttl is a numbered TTL node", () => {
      const p = ok(plan(loaded([queue]), [create("/q/t-", "persistent_sequential_with_ttl", { ttlMs: 5000 })], caller, NOW));
      expect(p.changes.get("/q/t-0000000007")!.after).toMatchObject({ kind: "ttl", ttlMs: 5000, owner: 0n });
    });
  });

  describe("modes", () => {
    const root = znode("/");

    test("ephemeral: owned by the caller's session", () => {
      const p = ok(plan(loaded([root], ["/e"]), [create("/e", "ephemeral")], caller, NOW));
      expect(p.changes.get("/e")!.after).toMatchObject({ kind: "ephemeral", owner: SESSION });
    });

    test("container: no owner", () => {
      const p = ok(plan(loaded([root], ["/c"]), [create("/c", "container")], caller, NOW));
      expect(p.changes.get("/c")!.after).toMatchObject({ kind: "container", owner: 0n, ttlMs: 0 });
    });

    test("persistent_with_ttl: a TTL node that keeps its TTL", () => {
      const p = ok(plan(loaded([root], ["/t"]), [create("/t", "persistent_with_ttl", { ttlMs: 60_000 })], caller, NOW));
      expect(p.changes.get("/t")!.after).toMatchObject({ kind: "ttl", owner: 0n, ttlMs: 60_000 });
    });

    test("persistent: no owner even when the caller has a session", () => {
      const p = ok(plan(loaded([root], ["/p"]), [create("/p")], caller, NOW));
      expect(p.changes.get("/p")!.after).toMatchObject({ kind: "persistent", owner: 0n });
    });
  });

  describe("the ACL given", () => {
    const root = znode("/");

    test.each([
      ["empty", []],
      ["an unknown scheme", acl(ALL, "sasl", "bob")],
      ["world with an id other than anyone", acl(ALL, "world", "everyone")],
      ["a digest id that is not user:hash", acl(ALL, "digest", "alice")],
      ["a bad ip", acl(ALL, "ip", "10.0.0.300")],
    ])("%s: INVALIDACL", (_why, given) => {
      const e = failure(plan(loaded([root], ["/x"]), [create("/x", "persistent", { acl: given as AclEntry[] })], caller, NOW));
      expect(e.code).toBe("INVALIDACL");
      expect(e.results).toEqual([{ code: "INVALIDACL" }]);
    });

    test("auth expands to each of the caller's digest ids, with the perms given", () => {
      const bob = "bob:pYhCj3Lkf1BqM1ZJYfQBuVqTUxQ=";
      const both: Caller = { ids: [...alice.ids, { scheme: "digest", id: bob }], session: SESSION };
      const p = ok(plan(loaded([root], ["/x"]), [create("/x", "persistent", { acl: acl(READ | WRITE, "auth", "") })], both, NOW));
      expect(p.changes.get("/x")!.after!.acl).toEqual([
        { perms: READ | WRITE, scheme: "digest", id: DIGEST },
        { perms: READ | WRITE, scheme: "digest", id: bob },
      ]);
    });

    test("auth without an authenticated caller: INVALIDACL (an ip identity does not count)", () => {
      const e = failure(plan(loaded([root], ["/x"]), [create("/x", "persistent", { acl: acl(ALL, "auth", "") })], caller, NOW));
      expect(e.code).toBe("INVALIDACL");
    });
  });
});

describe("delete", () => {
  const parent = znode("/a", { seq: 6, numChildren: 2 });
  const child = znode("/a/b", { version: 2 });

  test.each(["/", "/zookeeper", "/zookeeper/quota", "/zookeeper/config"])("%s belongs to ZooKeeper: BADARGUMENTS before anything is read", (path) => {
    // Nothing loaded: the refusal must not depend on a read.
    const e = failure(plan(loaded([]), [del(path)], caller, NOW));
    expect(e.code).toBe("BADARGUMENTS");
    expect(e.path).toBe(path);
  });

  test("other znodes under /zookeeper are not special", () => {
    const zk = znode("/zookeeper", { numChildren: 3, seq: 3 });
    ok(plan(loaded([zk, znode("/zookeeper/mine")]), [del("/zookeeper/mine")], caller, NOW));
  });

  test("removes the znode's keys and takes one from the parent's numChildren; cversion (seq) stays, pzxid becomes the txn's", () => {
    const p = ok(plan(loaded([parent, child]), [del("/a/b")], caller, NOW));
    expect(p.results).toEqual([{ op: "delete", path: "/a/b" }]);
    const gone = p.changes.get("/a/b")!;
    expect(gone.before).toBe(child);
    expect(gone.after).toBeNull();
    expect([...gone.parts].sort()).toEqual(["acl", "creations", "deletions", "node"]);
    const par = p.changes.get("/a")!;
    expect(par.after).toEqual({ ...parent, numChildren: 1, pzxid: null });
    expect([...par.parts]).toEqual(["deletions"]);
  });

  test("relies on the parent's identity, ACL and deletions count, and on the znode being unchanged and still childless", () => {
    const p = ok(plan(loaded([parent, child]), [del("/a/b")], caller, NOW));
    expect(depsOf(p, "/a")).toEqual({ node: "identity", acl: "exact", deletions: "value" });
    expect(depsOf(p, "/a/b")).toEqual({ node: "exact", creations: "exact" });
  });

  test("missing znode: NONODE", () => {
    const e = failure(plan(loaded([parent], ["/a/x"]), [del("/a/x")], caller, NOW));
    expect(e.code).toBe("NONODE");
    expect(e.path).toBe("/a/x");
  });

  test("a version that does not match: BADVERSION", () => {
    expect(failure(plan(loaded([parent, child]), [del("/a/b", 1)], caller, NOW)).code).toBe("BADVERSION");
    expect(failure(plan(loaded([parent, child]), [del("/a/b", 3)], caller, NOW)).code).toBe("BADVERSION");
  });

  test("the matching version, or -1, deletes", () => {
    ok(plan(loaded([parent, child]), [del("/a/b", 2)], caller, NOW));
    ok(plan(loaded([parent, child]), [del("/a/b", -1)], caller, NOW));
  });

  test("a znode with children: NOTEMPTY", () => {
    const full = znode("/a/b", { version: 2, numChildren: 1, seq: 1 });
    expect(failure(plan(loaded([parent, full]), [del("/a/b", 2)], caller, NOW)).code).toBe("NOTEMPTY");
  });

  test("the version is checked before emptiness: BADVERSION, not NOTEMPTY", () => {
    const full = znode("/a/b", { version: 2, numChildren: 1, seq: 1 });
    expect(failure(plan(loaded([parent, full]), [del("/a/b", 0)], caller, NOW)).code).toBe("BADVERSION");
  });

  test("DELETE is checked on the parent's ACL, not the znode's", () => {
    const noDelete = znode("/a", { ...parent, acl: acl(ALL & ~DELETE) });
    expect(failure(plan(loaded([noDelete, child]), [del("/a/b")], caller, NOW)).code).toBe("NOAUTH");
    const lockedChild = znode("/a/b", { acl: acl(READ) });
    ok(plan(loaded([parent, lockedChild]), [del("/a/b")], caller, NOW));
  });

  test("NOAUTH comes before NONODE and BADVERSION: the parent's ACL is checked before the znode is looked at", () => {
    const noDelete = znode("/a", { ...parent, acl: acl(READ) });
    expect(failure(plan(loaded([noDelete], ["/a/x"]), [del("/a/x")], caller, NOW)).code).toBe("NOAUTH");
    expect(failure(plan(loaded([noDelete, child]), [del("/a/b", 9)], caller, NOW)).code).toBe("NOAUTH");
  });
});

describe("setData", () => {
  const node = znode("/a", { version: 4, data: bytes("before"), seq: 2, numChildren: 1 });

  test("replaces the data, bumps the version, and leaves mzxid to the txn; creation and child fields stay", () => {
    const p = ok(plan(loaded([node]), [setData("/a", "after")], caller, NOW));
    const after = p.changes.get("/a")!.after!;
    expect(after).toEqual({ ...node, data: bytes("after"), version: 5, mzxid: null, mtime: NOW });
    expect(p.results).toEqual([{ op: "setData", path: "/a", node: after }]);
  });

  test("writes only the node key, but relies on every part (the reply carries the whole Stat)", () => {
    const p = ok(plan(loaded([node]), [setData("/a", "x")], caller, NOW));
    expect([...p.changes.get("/a")!.parts]).toEqual(["node"]);
    expect(depsOf(p, "/a")).toEqual({ node: "exact", creations: "exact", deletions: "exact", acl: "exact" });
  });

  test("needs no parent", () => {
    // The loaded map holds only the znode: reaching for its parent would throw NeedPaths.
    ok(plan(loaded([znode("/deep/er/node")]), [setData("/deep/er/node", "x")], caller, NOW));
  });

  test("the matching version, or -1, writes; another: BADVERSION", () => {
    ok(plan(loaded([node]), [setData("/a", "x", 4)], caller, NOW));
    ok(plan(loaded([node]), [setData("/a", "x", -1)], caller, NOW));
    const e = failure(plan(loaded([node]), [setData("/a", "x", 5)], caller, NOW));
    expect(e.code).toBe("BADVERSION");
    expect(e.path).toBe("/a");
  });

  test("WRITE on the znode's own ACL", () => {
    const readOnly = znode("/a", { acl: acl(ALL & ~WRITE) });
    expect(failure(plan(loaded([readOnly]), [setData("/a", "x")], caller, NOW)).code).toBe("NOAUTH");
    const writeOnly = znode("/a", { acl: acl(WRITE) });
    ok(plan(loaded([writeOnly]), [setData("/a", "x")], caller, NOW));
  });

  test("NOAUTH before BADVERSION", () => {
    const readOnly = znode("/a", { version: 4, acl: acl(READ) });
    expect(failure(plan(loaded([readOnly]), [setData("/a", "x", 0)], caller, NOW)).code).toBe("NOAUTH");
  });

  test("missing znode: NONODE", () => {
    expect(failure(plan(loaded([], ["/a"]), [setData("/a", "x")], caller, NOW)).code).toBe("NONODE");
  });
});

describe("check", () => {
  const node = znode("/a", { version: 3 });

  test("changes nothing and relies on the znode and its ACL as read", () => {
    const p = ok(plan(loaded([node]), [check("/a", 3)], caller, NOW));
    expect(p.results).toEqual([{ op: "check", path: "/a" }]);
    expect(p.changes.size).toBe(0);
    expect(depsOf(p, "/a")).toEqual({ node: "exact", acl: "exact" });
  });

  test("-1 matches any version; another version: BADVERSION", () => {
    ok(plan(loaded([node]), [check("/a", -1)], caller, NOW));
    expect(failure(plan(loaded([node]), [check("/a", 2)], caller, NOW)).code).toBe("BADVERSION");
  });

  test("needs READ on the znode, and checks it before the version", () => {
    const noRead = znode("/a", { version: 3, acl: acl(ALL & ~READ) });
    expect(failure(plan(loaded([noRead]), [check("/a", 3)], caller, NOW)).code).toBe("NOAUTH");
    expect(failure(plan(loaded([noRead]), [check("/a", 0)], caller, NOW)).code).toBe("NOAUTH");
  });

  test("missing znode: NONODE", () => {
    expect(failure(plan(loaded([], ["/a"]), [check("/a")], caller, NOW)).code).toBe("NONODE");
  });
});

describe("setACL", () => {
  const node = znode("/a", { version: 7, aversion: 2 });
  const readOnly = acl(READ);

  test("replaces the ACL and bumps aversion only; writes the ACL key, relies on every part", () => {
    const p = ok(plan(loaded([node]), [setACL("/a", readOnly)], caller, NOW));
    const after = p.changes.get("/a")!.after!;
    expect(after).toEqual({ ...node, acl: readOnly, aversion: 3 });
    expect(p.results).toEqual([{ op: "setACL", path: "/a", node: after }]);
    expect([...p.changes.get("/a")!.parts]).toEqual(["acl"]);
    expect(depsOf(p, "/a")).toEqual({ node: "exact", creations: "exact", deletions: "exact", acl: "exact" });
  });

  test("the version given is compared with aversion, not version", () => {
    expect(failure(plan(loaded([node]), [setACL("/a", readOnly, 7)], caller, NOW)).code).toBe("BADVERSION");
    ok(plan(loaded([node]), [setACL("/a", readOnly, 2)], caller, NOW));
    ok(plan(loaded([node]), [setACL("/a", readOnly, -1)], caller, NOW));
  });

  test("needs ADMIN on the znode, before the aversion is checked", () => {
    const noAdmin = znode("/a", { aversion: 2, acl: acl(ALL & ~ADMIN) });
    expect(failure(plan(loaded([noAdmin]), [setACL("/a", readOnly, 2)], caller, NOW)).code).toBe("NOAUTH");
    expect(failure(plan(loaded([noAdmin]), [setACL("/a", readOnly, 0)], caller, NOW)).code).toBe("NOAUTH");
    const adminOnly = znode("/a", { acl: acl(ADMIN) });
    ok(plan(loaded([adminOnly]), [setACL("/a", readOnly)], caller, NOW));
  });

  test("the ACL given is fixed up first: INVALIDACL even for a missing znode", () => {
    expect(failure(plan(loaded([], ["/a"]), [setACL("/a", [])], caller, NOW)).code).toBe("INVALIDACL");
    expect(failure(plan(loaded([], ["/a"]), [setACL("/a", readOnly)], caller, NOW)).code).toBe("NONODE");
  });

  test("auth expands to the caller's digest", () => {
    const p = ok(plan(loaded([node]), [setACL("/a", acl(ALL, "auth", ""))], alice, NOW));
    expect(p.changes.get("/a")!.after!.acl).toEqual([{ perms: ALL, scheme: "digest", id: DIGEST }]);
  });
});

describe("reapEphemeral and deleteContainer: the server's own deletes", () => {
  // The parent forbids everything to this caller: a client delete would be refused.
  const parent = znode("/p", { seq: 3, numChildren: 1, acl: acl(ALL, "digest", "root:x") });

  test("reapEphemeral skips the ACL check and does not rely on the parent's ACL", () => {
    const eph = znode("/p/e", { kind: "ephemeral", owner: SESSION });
    expect(failure(plan(loaded([parent, eph]), [del("/p/e")], caller, NOW)).code).toBe("NOAUTH");
    const p = ok(plan(loaded([parent, eph]), [{ op: "reapEphemeral", path: "/p/e" }], caller, NOW));
    expect(p.results).toEqual([{ op: "reapEphemeral", path: "/p/e" }]);
    expect(p.changes.get("/p/e")!.after).toBeNull();
    expect(p.changes.get("/p")!.after).toMatchObject({ seq: 3, numChildren: 0, pzxid: null });
    expect(depsOf(p, "/p")).toEqual({ node: "identity", deletions: "value" });
  });

  test("deleteContainer skips the ACL check", () => {
    const c = znode("/p/c", { kind: "container", seq: 2 });
    const p = ok(plan(loaded([parent, c]), [{ op: "deleteContainer", path: "/p/c" }], caller, NOW));
    expect(p.results).toEqual([{ op: "deleteContainer", path: "/p/c" }]);
    expect(p.changes.get("/p/c")!.after).toBeNull();
    expect(depsOf(p, "/p")).toEqual({ node: "identity", deletions: "value" });
    expect(depsOf(p, "/p/c")).toEqual({ node: "exact", creations: "exact" });
  });

  test("deleteContainer of a container that gained a child: NOTEMPTY", () => {
    const c = znode("/p/c", { kind: "container", seq: 3, numChildren: 1 });
    expect(failure(plan(loaded([parent, c]), [{ op: "deleteContainer", path: "/p/c" }], caller, NOW)).code).toBe("NOTEMPTY");
  });

  test("deleteContainer of a node that is now an ephemeral: BADVERSION, as ZooKeeper refuses it (after NOTEMPTY)", () => {
    // The scheduled run saw a container; by its commit the path may hold a session's ephemeral.
    const e = znode("/p/c", { kind: "ephemeral", owner: SESSION });
    const refused = failure(plan(loaded([parent, e]), [{ op: "deleteContainer", path: "/p/c" }], caller, NOW));
    expect(refused.code).toBe("BADVERSION");
    // A persistent node is not refused: ZooKeeper checks only for an ephemeral owner.
    const kept = znode("/p/c", { kind: "persistent" });
    expect(ok(plan(loaded([parent, kept]), [{ op: "deleteContainer", path: "/p/c" }], caller, NOW)).results).toHaveLength(1);
  });

  test("either, for a znode already gone: NONODE", () => {
    expect(failure(plan(loaded([parent], ["/p/x"]), [{ op: "reapEphemeral", path: "/p/x" }], caller, NOW)).code).toBe("NONODE");
    expect(failure(plan(loaded([parent], ["/p/x"]), [{ op: "deleteContainer", path: "/p/x" }], caller, NOW)).code).toBe("NONODE");
  });
});

describe("multi: each op sees the ops before it", () => {
  const root = znode("/", { seq: 1, numChildren: 1 });
  const parent = znode("/a", { seq: 4, numChildren: 1 });

  test("create then delete the same znode: it was never there, but the parent counts the creation", () => {
    const p = ok(plan(loaded([parent], ["/a/t"]), [create("/a/t"), del("/a/t", 0)], caller, NOW));
    expect(p.results.map((r) => [r.op, r.path])).toEqual([
      ["create", "/a/t"],
      ["delete", "/a/t"],
    ]);
    const t = p.changes.get("/a/t")!;
    expect(t.before).toBeNull();
    expect(t.after).toBeNull();
    const par = p.changes.get("/a")!;
    expect(par.before).toBe(parent);
    // cversion 2·5−1 = 9: one creation and one deletion on top of 2·4−1 = 7.
    expect(par.after).toEqual({ ...parent, seq: 5, numChildren: 1, pzxid: null });
    expect([...par.parts].sort()).toEqual(["creations", "deletions"]);
  });

  test("create a parent, then its child", () => {
    // transact's read set names every op's path, so /n/c is loaded (absent) too.
    const p = ok(plan(loaded([root], ["/n", "/n/c"]), [create("/n"), create("/n/c")], caller, NOW));
    expect(p.changes.get("/")!.after).toMatchObject({ seq: 2, numChildren: 2 });
    expect(p.changes.get("/n")!.before).toBeNull();
    expect(p.changes.get("/n")!.after).toMatchObject({ seq: 1, numChildren: 1, pzxid: null, czxid: null });
    expect(p.changes.get("/n/c")!.after).toMatchObject({ path: "/n/c", seq: 0, numChildren: 0 });
  });

  test("a child under a parent created as ephemeral earlier in the multi: NOCHILDRENFOREPHEMERALS", () => {
    const e = failure(plan(loaded([root], ["/n", "/n/c"]), [create("/n", "ephemeral"), create("/n/c")], caller, NOW));
    expect(e.code).toBe("NOCHILDRENFOREPHEMERALS");
    expect(e.results).toEqual([{ code: "OK" }, { code: "NOCHILDRENFOREPHEMERALS" }]);
  });

  test("two creates under one parent: cversion and numChildren go up by two", () => {
    const p = ok(plan(loaded([parent], ["/a/x", "/a/y"]), [create("/a/x"), create("/a/y")], caller, NOW));
    expect(p.changes.get("/a")!.after).toMatchObject({ seq: 6, numChildren: 3 });
    expect(p.changes.get("/a")!.before).toBe(parent);
  });

  test("two sequential creates under one parent take consecutive numbers", () => {
    const p = ok(plan(loaded([parent]), [create("/a/s-", "persistent_sequential"), create("/a/s-", "persistent_sequential")], caller, NOW));
    expect(p.results.map((r) => r.path)).toEqual(["/a/s-0000000004", "/a/s-0000000005"]);
    expect(p.changes.get("/a")!.after).toMatchObject({ seq: 6, numChildren: 3 });
    expect([...p.assumedAbsent].sort()).toEqual(["/a/s-0000000004", "/a/s-0000000005"]);
  });

  test("delete then re-create the same name: a fresh znode, and the parent counts the new creation", () => {
    const b = znode("/a/b");
    const p = ok(plan(loaded([parent, b]), [del("/a/b"), create("/a/b")], caller, NOW));
    expect(p.changes.get("/a/b")!.before).toBe(b);
    expect(p.changes.get("/a/b")!.after).toMatchObject({ czxid: null, version: 0 });
    expect(p.changes.get("/a")!.after).toMatchObject({ seq: 5, numChildren: 1 });
  });

  test("the strongest reliance on a part wins, whichever op comes first: a plain and a sequential create under one parent rely on the exact count", () => {
    const plainFirst = ok(plan(loaded([parent], ["/a/x"]), [create("/a/x"), create("/a/s-", "persistent_sequential")], caller, NOW));
    expect(depsOf(plainFirst, "/a")).toMatchObject({ creations: "exact", node: "identity" });
    const sequentialFirst = ok(plan(loaded([parent], ["/a/x"]), [create("/a/s-", "persistent_sequential"), create("/a/x")], caller, NOW));
    expect(depsOf(sequentialFirst, "/a")).toMatchObject({ creations: "exact", node: "identity" });
  });

  test("a create under a znode set earlier does not weaken what the setData relied on", () => {
    const p = ok(plan(loaded([parent], ["/a/x"]), [setData("/a", "x"), create("/a/x")], caller, NOW));
    expect(depsOf(p, "/a")).toEqual({ node: "exact", creations: "exact", deletions: "exact", acl: "exact" });
  });

  test("two setData: the version goes up by two", () => {
    const n = znode("/a", { version: 1 });
    const p = ok(plan(loaded([n]), [setData("/a", "one", 1), setData("/a", "two", 2)], caller, NOW));
    expect(p.changes.get("/a")!.after).toMatchObject({ version: 3, data: bytes("two") });
    expect(p.changes.get("/a")!.before).toBe(n);
  });

  test("a setData then a check of the new version", () => {
    const n = znode("/a", { version: 1 });
    ok(plan(loaded([n]), [setData("/a", "x"), check("/a", 2)], caller, NOW));
    expect(codesOf(plan(loaded([n]), [setData("/a", "x"), check("/a", 1)], caller, NOW))).toEqual(["OK", "BADVERSION"]);
  });

  test("a setACL that drops WRITE refuses the setData after it", () => {
    const n = znode("/a");
    const p = plan(loaded([n]), [setACL("/a", acl(READ | ADMIN)), setData("/a", "x")], caller, NOW);
    expect(codesOf(p)).toEqual(["OK", "NOAUTH"]);
  });

  test("an op on a znode deleted earlier in the multi: NONODE", () => {
    const b = znode("/a/b");
    expect(codesOf(plan(loaded([parent, b]), [del("/a/b"), setData("/a/b", "x")], caller, NOW))).toEqual(["OK", "NONODE"]);
  });

  test("the same create twice: NODEEXISTS at the second", () => {
    expect(codesOf(plan(loaded([parent], ["/a/x"]), [create("/a/x"), create("/a/x")], caller, NOW))).toEqual(["OK", "NODEEXISTS"]);
  });

  test("a failure in the middle: OK before it, its code at it, RUNTIMEINCONSISTENCY after", () => {
    const n = znode("/a/b", { version: 0 });
    const p = plan(loaded([parent, n], ["/a/c"]), [create("/a/c"), setData("/a/b", "x", 5), check("/a/b"), del("/a/c")], caller, NOW);
    const e = failure(p);
    expect(e.code).toBe("BADVERSION");
    expect(e.path).toBe("/a/b");
    expect(e.results).toEqual([{ code: "OK" }, { code: "BADVERSION" }, { code: "RUNTIMEINCONSISTENCY" }, { code: "RUNTIMEINCONSISTENCY" }]);
  });

  test("a failure at the first op: no OK at all", () => {
    expect(codesOf(plan(loaded([parent], ["/a/x"]), [check("/a/x"), check("/a"), check("/a")], caller, NOW))).toEqual([
      "NONODE",
      "RUNTIMEINCONSISTENCY",
      "RUNTIMEINCONSISTENCY",
    ]);
  });

  test("ops after a failure are not tried: one that reaches an unloaded znode does not ask for it", () => {
    const p = plan(loaded([parent], ["/a/x"]), [check("/a/x"), setData("/unloaded", "x")], caller, NOW);
    expect(codesOf(p)).toEqual(["NONODE", "RUNTIMEINCONSISTENCY"]);
  });

  test("a failed plan still reports the names it assumed absent, for the failure branch's re-read", () => {
    const p = plan(loaded([parent]), [create("/a/s-", "persistent_sequential"), check("/a", 99)], caller, NOW);
    expect(codesOf(p)).toEqual(["OK", "BADVERSION"]);
    expect([...p.assumedAbsent]).toEqual(["/a/s-0000000004"]);
  });

  test("no ops: an empty success", () => {
    const p = ok(plan(loaded([]), [], caller, NOW));
    expect(p.results).toEqual([]);
    expect(p.changes.size).toBe(0);
    expect(p.deps.size).toBe(0);
  });

  test("the loaded znodes are not modified", () => {
    const n = znode("/a", { version: 1, seq: 4, numChildren: 1 });
    const copy = structuredClone(n);
    ok(plan(loaded([n], ["/a/x"]), [setData("/a", "x"), create("/a/x"), setACL("/a", acl(READ))], caller, NOW));
    expect(n).toEqual(copy);
  });
});

describe("NeedPaths: a znode the read did not load", () => {
  test("setData on an unloaded znode asks for it and its parent", () => {
    expect(needPathsOf(() => plan(loaded([]), [setData("/x/y", "d")], caller, NOW))).toEqual(["/x/y", "/x"]);
  });

  test("a create whose parent was not loaded asks for the parent and the grandparent", () => {
    expect(needPathsOf(() => plan(loaded([]), [create("/a/b")], caller, NOW))).toEqual(["/a", "/"]);
  });

  test("a plain create whose name was not loaded asks for it: only a sequential name may be assumed absent", () => {
    const parent = znode("/a");
    expect(needPathsOf(() => plan(loaded([parent]), [create("/a/b")], caller, NOW))).toEqual(["/a/b", "/a"]);
  });

  test("a delete whose znode was not loaded asks for it", () => {
    const parent = znode("/a", { numChildren: 1, seq: 1 });
    expect(needPathsOf(() => plan(loaded([parent]), [del("/a/b")], caller, NOW))).toEqual(["/a/b", "/a"]);
  });

  test("a later op of a multi asks too", () => {
    const n = znode("/a");
    expect(needPathsOf(() => plan(loaded([n]), [check("/a"), check("/b/c")], caller, NOW))).toEqual(["/b/c", "/b"]);
  });

  test("a znode loaded as absent is known absent, not asked for", () => {
    expect(codesOf(plan(loaded([], ["/x"]), [setData("/x", "d")], caller, NOW))).toEqual(["NONODE"]);
  });
});
