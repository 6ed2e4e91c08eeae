// lib/transact.ts: what a write reads before it plans. A parent whose children
// count no op needs is read without counting (etcd counts a range key by key),
// and every znode an op answers with, deletes or checks is counted.
import { describe, expect, test } from "vitest";
import { OPEN_ACL_UNSAFE } from "../../lib/acl.js";
import type { CreateMode, WriteOp } from "../../lib/model.js";
import { readSetOf, uncountedOf } from "../../lib/transact.js";

const create = (path: string, mode: CreateMode = "persistent"): WriteOp => ({ op: "create", path, data: new Uint8Array(), acl: OPEN_ACL_UNSAFE, mode, ttlMs: 0 });
const del = (path: string): WriteOp => ({ op: "delete", path, version: -1 });
const set = (path: string): WriteOp => ({ op: "setData", path, data: new Uint8Array(), version: -1 });
const check = (path: string): WriteOp => ({ op: "check", path, version: -1 });

const sorted = (s: Set<string>) => [...s].sort();

describe("readSetOf", () => {
  test("a create reads its parent and its path; a sequential one only its parent (the name is not known yet)", () => {
    expect(sorted(readSetOf([create("/a/b")]))).toEqual(["/a", "/a/b"]);
    expect(sorted(readSetOf([create("/a/b-", "persistent_sequential")]))).toEqual(["/a"]);
  });

  test("setData and check read only their own znode", () => {
    expect(sorted(readSetOf([set("/a/b"), check("/c")]))).toEqual(["/a/b", "/c"]);
  });
});

describe("uncountedOf", () => {
  test.each<[string, WriteOp[], string[]]>([
    ["a create's parent", [create("/a/b")], ["/a"]],
    ["a delete's parent", [del("/a/b")], ["/a"]],
    ["one parent of several creates", [create("/a/x"), create("/a/y"), create("/a/z-", "ephemeral_sequential")], ["/a"]],
    ["the root as a parent", [create("/top")], ["/"]],
    ["nothing for setData or check", [set("/a/b"), check("/a")], []],
  ])("%s", (_, ops, expected) => {
    expect(sorted(uncountedOf(ops))).toEqual(expected);
  });

  test.each<[string, WriteOp[], string[]]>([
    // Deleting /a must see that it has no children left.
    ["a parent the same multi deletes (its own parent is not)", [del("/a/b"), del("/a")], ["/"]],
    // setData answers with /a's Stat, numChildren included.
    ["a parent the same multi sets", [create("/a/b"), set("/a")], []],
    ["a parent the same multi checks", [create("/a/b"), check("/a")], []],
    // /a/b is counted (the second create's parent is created by the first).
    ["a parent the same multi creates", [create("/a/b"), create("/a/b/c")], ["/a"]],
  ])("is counted: %s", (_, ops, expected) => {
    expect(sorted(uncountedOf(ops))).toEqual(expected);
  });
});
