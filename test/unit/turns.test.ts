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

  test("a turn learns what the single-key turn right behind it needs, and passes it a baton", async () => {
    const seen: (string | undefined)[] = [];
    const got: (string | undefined)[] = [];
    let openFirst!: () => void;
    const gate = new Promise<void>((r) => (openFirst = r));
    const first = inTurn<void, string, string>(["k"], async (t) => {
      await gate;
      seen.push(t.next());
      t.pass("from first");
    }, "first's need");
    const second = inTurn<void, string, string>(["k"], async (t) => {
      got.push(t.received);
      seen.push(t.next());
    }, "second's need");
    // Two keys: it takes no batons, so it says nothing to the turn before it.
    const third = inTurn<void, string, string>(["k", "other"], async (t) => {
      got.push(t.received);
      seen.push(t.next());
    }, "third's need");
    await settle();
    openFirst();
    await Promise.all([first, second, third]);
    expect(seen).toEqual(["second's need", undefined, undefined]);
    expect(got).toEqual(["from first", undefined]);
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

  test("a turn hands the next turn on its key what it passes; nobody waiting, nothing is kept", async () => {
    const got: (string | undefined)[] = [];
    const waiting: boolean[] = [];
    const first = inTurn<void, string>(["k"], async (turn) => {
      await settle(); // the second caller queues meanwhile
      waiting.push(turn.queued());
      turn.pass("state after the first");
    });
    const second = inTurn<void, string>(["k"], async (turn) => {
      got.push(turn.received);
      waiting.push(turn.queued());
      turn.pass("state after the second");
    });
    await Promise.all([first, second]);
    await inTurn<void, string>(["k"], async (turn) => void got.push(turn.received));
    expect(waiting).toEqual([true, false]);
    expect(got).toEqual(["state after the first", undefined]);
  });

  test("a turn of several keys neither receives nor passes anything", async () => {
    let received: string | undefined = "unset";
    const one = inTurn<void, string>(["a"], async (turn) => {
      await settle();
      turn.pass("for the next on a");
    });
    const both = inTurn<void, string>(["a", "b"], async (turn) => {
      received = turn.received;
      turn.pass("ignored");
    });
    const after = inTurn<void, string>(["a"], async (turn) => void (received = received ?? turn.received));
    await Promise.all([one, both, after]);
    expect(received).toBeUndefined();
  });

  test("overlapping key sets taken in any order finish (no circular wait)", async () => {
    const done: number[] = [];
    const sets = [["x", "y"], ["y", "x"], ["y", "z"], ["z", "x"], ["x"], ["z", "y", "x"]];
    await Promise.all(sets.map((keys, i) => inTurn(keys, async () => void (await settle(), done.push(i)))));
    expect(done).toEqual([0, 1, 2, 3, 4, 5]);
  });
});
