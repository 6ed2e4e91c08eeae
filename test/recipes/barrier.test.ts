// Barrier and double barrier with separate clients against the real service.
// That nobody passes early is shown in zxid order: every write a member makes
// after passing comes after every write any member made before arriving.
import { describe, expect, test } from "vitest";
import type { ZkClient } from "../../client/index.js";
import { Barrier, DoubleBarrier, RecipeTimeoutError } from "../../recipes/index.js";
import { servicePerFile, until } from "./harness.js";

const h = servicePerFile();

const max = (xs: bigint[]) => xs.reduce((a, b) => (a > b ? a : b));
const min = (xs: bigint[]) => xs.reduce((a, b) => (a < b ? a : b));

async function write(zk: ZkClient, log: string, into: bigint[]): Promise<void> {
  into.push((await zk.setData(log, "x")).mzxid);
}

describe("Barrier", { timeout: 120_000 }, () => {
  test("waiters pass only once the barrier is removed; a missing barrier does not hold anyone", async () => {
    const [owner, ...waiters] = await Promise.all([0, 1, 2, 3].map(() => h.client()));
    const path = "/bar/a";
    const log = "/bar-a-log";
    await owner!.create(log);
    await new Barrier(owner!, path).raise();
    await new Barrier(owner!, path).raise(); // raising twice is fine
    const before: bigint[] = [];
    const after: bigint[] = [];
    const passing = waiters.map(async (zk) => {
      await new Barrier(zk, path).wait();
      await write(zk, log, after);
    });
    // Every waiter is held (its watch poll is open) before the barrier comes down.
    const open = async () => ((await (await fetch(`${h.url()}/v1/stats`)).json()) as { openWaits: number }).openWaits;
    await until("the waiters to wait", async () => (await open()) >= 3);
    expect(after).toHaveLength(0);
    await write(owner!, log, before);
    await new Barrier(owner!, path).remove();
    await Promise.all(passing);
    expect(after).toHaveLength(3);
    expect(min(after) > max(before)).toBe(true);
    await new Barrier(waiters[0]!, path).wait();
  });

  test("a wait with a timeout gives up while the barrier stands", async () => {
    const zk = await h.client();
    await new Barrier(zk, "/bar/b").raise();
    await expect(new Barrier(zk, "/bar/b").wait({ timeoutMs: 200 })).rejects.toBeInstanceOf(RecipeTimeoutError);
    await new Barrier(zk, "/bar/b").remove();
    await new Barrier(zk, "/bar/b").remove(); // removing twice is fine
  });
});

describe("DoubleBarrier", { timeout: 120_000 }, () => {
  test("four members, arriving one by one: nobody computes before all entered, nobody leaves before all are done", async () => {
    const clients = await Promise.all([0, 1, 2, 3].map(() => h.client()));
    const path = "/dbar/a";
    const log = "/dbar-a-log";
    await clients[0]!.create(log);
    const beforeEnter: bigint[] = [];
    const afterEnter: bigint[] = [];
    const beforeLeave: bigint[] = [];
    const afterLeave: bigint[] = [];
    const members: Promise<void>[] = [];
    for (const [i, zk] of clients.entries()) {
      await write(zk, log, beforeEnter);
      const b = new DoubleBarrier(zk, path, 4, `m${i}`);
      members.push(
        (async () => {
          await b.enter();
          await write(zk, log, afterEnter);
          await write(zk, log, beforeLeave);
          await b.leave();
          await write(zk, log, afterLeave);
        })(),
      );
      // The next member arrives only once this one is inside and waiting.
      await until(`m${i} entered`, async () => (await zk.getChildren(path).catch(() => ({ children: [] as string[] }))).children.includes(b.name));
    }
    await Promise.all(members);
    expect([afterEnter, afterLeave].map((x) => x.length)).toEqual([4, 4]);
    expect(min(afterEnter) > max(beforeEnter)).toBe(true);
    expect(min(afterLeave) > max(beforeLeave)).toBe(true);
    // The last to leave took the ready node away: the path is empty again.
    expect((await clients[0]!.getChildren(path)).children).toEqual([]);
  });

  test("a member whose session ends no longer counts: entering waits for one more, leaving does not wait for it", async () => {
    const [a, b, c, d] = await Promise.all([0, 1, 2, 3].map(() => h.client()));
    const path = "/dbar/c";
    const members = (zks: ZkClient[]) => zks.map((zk, i) => new DoubleBarrier(zk, path, 3, `m${i}`));
    const [ma, mb, mc, md] = members([a!, b!, c!, d!]);
    const aEnters = ma!.enter().catch((e: unknown) => e);
    await until("a waits inside", async () => (await b!.getChildren(path).catch(() => ({ children: [] as string[] }))).children.includes(ma!.name));
    // a's session ends while it waits: its member node goes with it.
    expect(await h.closeSession(a!.sessionId!)).toBe(204);
    expect(await aEnters).toBeInstanceOf(Error);
    const bcEnter = Promise.all([mb!.enter(), mc!.enter()]);
    await until("b and c wait inside", async () => (await b!.getChildren(path)).children.length === 2);
    await md!.enter();
    await bcEnter;
    // The barrier opened (its "ready" node) only after d's member node: a's did not count.
    const dJoined = (await b!.exists(`${path}/${md!.name}`))!.czxid;
    expect((await b!.exists(`${path}/ready`))!.czxid).toBeGreaterThan(dJoined);
    // d's session ends inside: b and c leave without waiting for it.
    expect(await h.closeSession(d!.sessionId!)).toBe(204);
    await Promise.all([mb!.leave(), mc!.leave()]);
    expect((await b!.getChildren(path)).children).toEqual([]);
  });

  test("an enter that times out leaves the barrier, so it does not count towards a later round", async () => {
    const [a, b] = await Promise.all([h.client(), h.client()]);
    const path = "/dbar/b";
    await expect(new DoubleBarrier(a!, path, 2).enter({ timeoutMs: 200 })).rejects.toBeInstanceOf(RecipeTimeoutError);
    expect((await a!.getChildren(path)).children).toEqual([]);
    const x = new DoubleBarrier(a!, path, 2);
    const y = new DoubleBarrier(b!, path, 2);
    await Promise.all([x.enter(), y.enter()]);
    await Promise.all([x.leave(), y.leave()]);
  });
});
