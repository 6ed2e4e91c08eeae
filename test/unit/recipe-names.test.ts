// How recipes read their nodes' names: order by the sequence ZooKeeper
// appended, kinds told apart, a protected node found by its GUID.
import { describe, expect, test } from "vitest";
import { kindOf, ownNode, protectedPrefix, sequenceOf, sortedNodes } from "../../recipes/names.js";

const g1 = "0f8fad5b-d9cb-469f-a165-70867728950e";
const g2 = "7c9e6679-7425-40de-944b-e07fc1f90ae7";

describe("recipe node names", () => {
  test("the sequence is the last ten characters, negative once the counter overflowed", () => {
    expect(sequenceOf(`_c_${g1}-lock-0000000042`)).toBe(42);
    expect(sequenceOf("lock--000000001")).toBe(-1);
    expect(sequenceOf("lock-42")).toBeUndefined();
  });

  test("order is by sequence, not by the GUIDs in front of it", () => {
    const a = `_c_${g2}-lock-0000000001`;
    const b = `_c_${g1}-lock-0000000002`;
    expect([a, b].sort()).toEqual([b, a]);
    expect(sortedNodes([b, a], ["lock-"])).toEqual([a, b]);
  });

  test("kinds are told apart, and other children are left out", () => {
    const r = `_c_${g1}-read-0000000003`;
    const w = `_c_${g2}-write-0000000004`;
    expect(kindOf(r)).toBe("read-");
    expect(kindOf(w)).toBe("write-");
    expect(kindOf("item-0000000001")).toBe("item-");
    expect(sortedNodes([w, r, "lock", "leases", `claim-_c_${g1}-item-0000000001`], ["read-", "write-"])).toEqual([r, w]);
  });

  test("a protected node is found by its prefix", () => {
    const mine = `${protectedPrefix(g1)}lock-0000000007`;
    expect(ownNode([`_c_${g2}-lock-0000000006`, mine], protectedPrefix(g1))).toBe(mine);
    expect(ownNode([`_c_${g2}-lock-0000000006`], protectedPrefix(g1))).toBeUndefined();
  });
});
