// lib/stat.ts: the Stat a client sees, as ZooKeeper 3.8's DataNode.copyStat
// reports it: cversion derived from creations and the children left, the
// ephemeralOwner hidden for containers and TTL nodes, and the zxids a plan
// left to its own txn filled in.
import { describe, expect, test } from "vitest";
import { OPEN_ACL_UNSAFE } from "../../lib/acl.js";
import type { ZNode } from "../../lib/model.js";
import { ephemeralOwner, statOf } from "../../lib/stat.js";

const SESSION = 0x1000_0000_0000_0042n;

function znode(over: Partial<ZNode> = {}): ZNode {
  return {
    path: "/a",
    kind: "persistent",
    owner: 0n,
    ttlMs: 0,
    czxid: 3n,
    mzxid: 8n,
    pzxid: 5n,
    ctime: 1_700_000_000_000,
    mtime: 1_700_000_000_500,
    version: 4,
    aversion: 2,
    seq: 0,
    data: new Uint8Array([1, 2, 3]),
    acl: OPEN_ACL_UNSAFE,
    numChildren: 0,
    ...over,
  };
}

describe("statOf", () => {
  test("copies the fields ZooKeeper stores as they are", () => {
    expect(statOf(znode())).toEqual({
      czxid: 3n,
      mzxid: 8n,
      pzxid: 5n,
      ctime: 1_700_000_000_000,
      mtime: 1_700_000_000_500,
      version: 4,
      cversion: 0,
      aversion: 2,
      ephemeralOwner: 0n,
      dataLength: 3,
      numChildren: 0,
    });
  });

  test.each([
    // [creations, children left, cversion = creations + deletions]
    [0, 0, 0],
    [1, 1, 1],
    [3, 3, 3],
    [5, 2, 8],
    [4, 0, 8],
    [1000, 1, 1999],
  ])("cversion after %d creations with %d children left is %d (every creation and deletion counts)", (seq, numChildren, cversion) => {
    const s = statOf(znode({ seq, numChildren }));
    expect(s.cversion).toBe(cversion);
    expect(s.numChildren).toBe(numChildren);
  });

  test("ephemeralOwner is the owning session for an ephemeral", () => {
    expect(statOf(znode({ kind: "ephemeral", owner: SESSION })).ephemeralOwner).toBe(SESSION);
  });

  test.each(["persistent", "container", "ttl"] as const)("ephemeralOwner is 0 for a %s node, whatever owner it holds", (kind) => {
    // ZooKeeper persists a marker for containers and TTL nodes there but reports 0.
    expect(statOf(znode({ kind, owner: 0x8000_0000_0000_0000n, ttlMs: kind === "ttl" ? 1000 : 0 })).ephemeralOwner).toBe(0n);
  });

  test("ephemeralOwner() alone agrees", () => {
    expect(ephemeralOwner({ kind: "ephemeral", owner: 7n })).toBe(7n);
    expect(ephemeralOwner({ kind: "container", owner: 7n })).toBe(0n);
    expect(ephemeralOwner({ kind: "ttl", owner: 7n })).toBe(0n);
  });

  test("null zxids take the given zxid; set ones stay", () => {
    const s = statOf(znode({ czxid: 3n, mzxid: null, pzxid: null }), 42n);
    expect([s.czxid, s.mzxid, s.pzxid]).toEqual([3n, 42n, 42n]);
    const fresh = statOf(znode({ czxid: null, mzxid: null, pzxid: null }), 42n);
    expect([fresh.czxid, fresh.mzxid, fresh.pzxid]).toEqual([42n, 42n, 42n]);
  });

  test("a given zxid of 0 still fills (0 is a zxid)", () => {
    const s = statOf(znode({ czxid: null, mzxid: null, pzxid: null }), 0n);
    expect([s.czxid, s.mzxid, s.pzxid]).toEqual([0n, 0n, 0n]);
  });

  test("the given zxid does not override resolved ones", () => {
    const s = statOf(znode(), 99n);
    expect([s.czxid, s.mzxid, s.pzxid]).toEqual([3n, 8n, 5n]);
  });

  test.each(["czxid", "mzxid", "pzxid"] as const)("a null %s with no zxid given throws, naming the node", (field) => {
    expect(() => statOf(znode({ path: "/q/n", [field]: null }))).toThrow(/\/q\/n/);
  });

  test("zxids beyond 2^53 are kept exactly", () => {
    const big = 2n ** 53n + 1n;
    const s = statOf(znode({ czxid: big, mzxid: null, pzxid: null }), big + 2n);
    expect(s.czxid).toBe(9007199254740993n);
    expect(s.mzxid).toBe(9007199254740995n);
    expect(s.pzxid).toBe(9007199254740995n);
  });

  test("dataLength counts bytes, not characters", () => {
    expect(statOf(znode({ data: new TextEncoder().encode("ü€") })).dataLength).toBe(5);
    expect(statOf(znode({ data: new Uint8Array() })).dataLength).toBe(0);
    expect(statOf(znode({ data: new Uint8Array(1024 * 1024) })).dataLength).toBe(1024 * 1024);
  });
});
