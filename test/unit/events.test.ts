// lib/events.ts: the watch events a txn fires, as ZooKeeper 3.8's DataTree
// fires them. A multi's events are recorded from these (its net effect can
// hide one), and a watcher hears the first event for its table, so both the
// tables and the order matter.
import { describe, expect, test } from "vitest";
import { OPEN_ACL_UNSAFE } from "../../lib/acl.js";
import { created, dataChanged, deleted, firedBy, firstIn } from "../../lib/events.js";
import type { Fired, WriteResult, ZNode } from "../../lib/model.js";

function znode(path: string): ZNode {
  return {
    path,
    kind: "persistent",
    owner: 0n,
    ttlMs: 0,
    czxid: null,
    mzxid: null,
    pzxid: null,
    ctime: 0,
    mtime: 0,
    version: 0,
    aversion: 0,
    seq: 0,
    data: new Uint8Array(),
    acl: OPEN_ACL_UNSAFE,
    numChildren: 0,
  };
}

describe("what each change fires", () => {
  test("a creation: NodeCreated for data watches (exists) on the node, NodeChildrenChanged for child watches on the parent", () => {
    expect(created("/a/b")).toEqual([
      { table: "data", type: "NodeCreated", path: "/a/b" },
      { table: "child", type: "NodeChildrenChanged", path: "/a" },
    ]);
  });

  test("a creation under the root notifies the root's child watches", () => {
    expect(created("/a")[1]).toEqual({ table: "child", type: "NodeChildrenChanged", path: "/" });
  });

  test("a deletion: NodeDeleted for data and child watches on the node, NodeChildrenChanged on the parent", () => {
    expect(deleted("/a/b")).toEqual([
      { table: "both", type: "NodeDeleted", path: "/a/b" },
      { table: "child", type: "NodeChildrenChanged", path: "/a" },
    ]);
    expect(deleted("/x")[1]!.path).toBe("/");
  });

  test("a setData: NodeDataChanged for data watches only", () => {
    expect(dataChanged("/a")).toEqual([{ table: "data", type: "NodeDataChanged", path: "/a" }]);
  });
});

describe("firedBy: a txn's events in op order", () => {
  const n = znode("/a");

  test("each op's events follow the previous op's", () => {
    const results: WriteResult[] = [
      { op: "create", path: "/a", node: n },
      { op: "setData", path: "/a", node: n },
      { op: "delete", path: "/a" },
    ];
    expect(firedBy(results)).toEqual([...created("/a"), ...dataChanged("/a"), ...deleted("/a")]);
  });

  test("the server's own deletions fire as a client's delete does", () => {
    expect(firedBy([{ op: "reapEphemeral", path: "/p/e" }])).toEqual(deleted("/p/e"));
    expect(firedBy([{ op: "deleteContainer", path: "/c" }])).toEqual(deleted("/c"));
  });

  test("check and setACL fire nothing (ZooKeeper has no ACL-changed event)", () => {
    const results: WriteResult[] = [
      { op: "check", path: "/a" },
      { op: "setACL", path: "/a", node: n },
    ];
    expect(firedBy(results)).toEqual([]);
  });

  test("silent ops in between do not disturb the order of the others", () => {
    const results: WriteResult[] = [
      { op: "setData", path: "/b", node: znode("/b") },
      { op: "check", path: "/a" },
      { op: "create", path: "/a/c", node: znode("/a/c") },
    ];
    expect(firedBy(results)).toEqual([...dataChanged("/b"), ...created("/a/c")]);
  });

  test("no results, no events", () => {
    expect(firedBy([])).toEqual([]);
  });
});

describe("firstIn: what a watch hears first", () => {
  // A multi that creates /a, changes it, then deletes it: its net effect is nothing.
  const fired: Fired[] = firedBy([
    { op: "create", path: "/a", node: znode("/a") },
    { op: "setData", path: "/a", node: znode("/a") },
    { op: "delete", path: "/a" },
  ]);

  test("a data watch hears the earliest data event: the creation, not the later change or deletion", () => {
    expect(firstIn(fired, "data", "/a")).toBe("NodeCreated");
  });

  test("a child watch on the node hears the deletion, which fires in both tables", () => {
    expect(firstIn(fired, "child", "/a")).toBe("NodeDeleted");
  });

  test("a child watch on the parent hears NodeChildrenChanged; a data watch on the parent hears nothing", () => {
    expect(firstIn(fired, "child", "/")).toBe("NodeChildrenChanged");
    expect(firstIn(fired, "data", "/")).toBeUndefined();
  });

  test("a deletion alone reaches a data watch through the both table", () => {
    expect(firstIn(deleted("/x"), "data", "/x")).toBe("NodeDeleted");
  });

  test("a setData before a deletion: the data watch hears the change, the child watch the deletion", () => {
    const f = [...dataChanged("/x"), ...deleted("/x")];
    expect(firstIn(f, "data", "/x")).toBe("NodeDataChanged");
    expect(firstIn(f, "child", "/x")).toBe("NodeDeleted");
  });

  test("another path's events are not heard", () => {
    expect(firstIn(fired, "data", "/b")).toBeUndefined();
    expect(firstIn(fired, "child", "/a/x")).toBeUndefined();
    expect(firstIn([], "data", "/a")).toBeUndefined();
  });
});
