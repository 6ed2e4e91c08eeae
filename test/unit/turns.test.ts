// lib/turns.ts: callers naming a shared key run one at a time, in the order
// they came; callers with no key in common do not wait for each other; a
// caller that fails still lets the next one go; overlapping key sets cannot
// wait for each other in a circle.
import { describe, expect, test } from "vitest";
import { inTurn } from "../../lib/turns.js";

/** A task the test finishes by hand, recording when it starts. */
function task(log: string[], name: string) {
  let finish!: (fail?: boolean) => void;
  const done = new Promise<void>((resolve, reject) => (finish = (fail) => (fail ? reject(new Error(name)) : resolve())));
  return { run: () => (log.push(name), done), finish };
}

const settle = () => new Promise((r) => setImmediate(r));

describe("inTurn", () => {
  test("callers naming one key run one at a time, first come first served", async () => {
    const log: string[] = [];
    const [a, b, c] = ["a", "b", "c"].map((n) => task(log, n)) as [ReturnType<typeof task>, ReturnType<typeof task>, ReturnType<typeof task>];
    const all = [inTurn(["k"], a.run), inTurn(["k"], b.run), inTurn(["k"], c.run)];
    await settle();
    expect(log).toEqual(["a"]);
    a.finish();
    await settle();
    expect(log).toEqual(["a", "b"]);
    b.finish();
    await settle();
    c.finish();
    await Promise.all(all);
    expect(log).toEqual(["a", "b", "c"]);
  });

  test("callers with no key in common, or none at all, do not wait", async () => {
    const log: string[] = [];
    const [a, b, c] = ["a", "b", "c"].map((n) => task(log, n)) as [ReturnType<typeof task>, ReturnType<typeof task>, ReturnType<typeof task>];
    const all = [inTurn(["k1"], a.run), inTurn(["k2"], b.run), inTurn([], c.run)];
    await settle();
    expect(log.sort()).toEqual(["a", "b", "c"]);
    [a, b, c].forEach((t) => t.finish());
    await Promise.all(all);
  });

  test("a caller that fails passes its turn on, and its error to its own caller", async () => {
    const log: string[] = [];
    const [a, b] = ["a", "b"].map((n) => task(log, n)) as [ReturnType<typeof task>, ReturnType<typeof task>];
    const first = inTurn(["k"], a.run);
    const second = inTurn(["k"], b.run);
    a.finish(true);
    await expect(first).rejects.toThrow("a");
    await settle();
    expect(log).toEqual(["a", "b"]);
    b.finish();
    await second;
  });

  test("overlapping key sets taken in any order finish (no circular wait)", async () => {
    const done: number[] = [];
    const sets = [["x", "y"], ["y", "x"], ["y", "z"], ["z", "x"], ["x"], ["z", "y", "x"]];
    await Promise.all(sets.map((keys, i) => inTurn(keys, async () => void (await settle(), done.push(i)))));
    expect(done).toEqual([0, 1, 2, 3, 4, 5]);
  });
});
