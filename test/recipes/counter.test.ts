// The distributed counter with separate clients against the real service:
// concurrent increments are each applied exactly once, and in zxid order the
// values they report rise one by one (each compare-and-set saw the one
// before it).
import { describe, expect, test } from "vitest";
import { SessionExpiredError } from "../../client/index.js";
import { DistributedCounter } from "../../recipes/index.js";
import { servicePerFile } from "./harness.js";

const h = servicePerFile();

describe("DistributedCounter", { timeout: 120_000 }, () => {
  test("four clients add 1 ten times each: 40, every value reported once, in zxid order", async () => {
    const clients = await Promise.all([0, 1, 2, 3].map(() => h.client()));
    const changes = (
      await Promise.all(
        clients.map(async (zk) => {
          const counter = new DistributedCounter(zk, "/ctr/a");
          const mine = [];
          for (let i = 0; i < 10; i++) mine.push(await counter.add(1));
          return mine;
        }),
      )
    ).flat();
    expect(await new DistributedCounter(clients[0]!, "/ctr/a").get()).toBe(40n);
    changes.sort((a, b) => (a.zxid < b.zxid ? -1 : 1));
    expect(changes.map((c) => c.after)).toEqual(Array.from({ length: 40 }, (_, i) => BigInt(i + 1)));
    for (const c of changes) expect(c.after - c.before).toBe(1n);
    expect(await clients[0]!.getText("/ctr/a")).toBe("40");
  });

  test("starts from its initial value, counts past int64, subtracts and sets", async () => {
    const zk = await h.client();
    const counter = new DistributedCounter(zk, "/ctr/b/deep", 2n ** 63n - 1n);
    expect(await counter.get()).toBe(2n ** 63n - 1n);
    expect((await counter.add(2)).after).toBe(2n ** 63n + 1n);
    expect((await counter.add(-5n)).after).toBe(2n ** 63n - 4n);
    expect((await counter.set(-7)).after).toBe(-7n);
    expect(await zk.getText("/ctr/b/deep")).toBe("-7");
  });

  test("refuses a node that does not hold a number", async () => {
    const zk = await h.client();
    await zk.create("/ctr-text", { data: "hello" });
    await expect(new DistributedCounter(zk, "/ctr-text").add(1)).rejects.toThrow(/does not hold a counter/);
  });

  test("a client whose session was closed from outside cannot add, and the others' count stays exact", async () => {
    const [a, b] = await Promise.all([h.client(), h.client()]);
    await new DistributedCounter(a!, "/ctr/c").add(1);
    expect(await h.closeSession(a!.sessionId!)).toBe(204);
    await expect(new DistributedCounter(a!, "/ctr/c").add(1)).rejects.toBeInstanceOf(SessionExpiredError);
    await new DistributedCounter(b!, "/ctr/c").add(1);
    expect(await new DistributedCounter(b!, "/ctr/c").get()).toBe(2n);
  });
});
