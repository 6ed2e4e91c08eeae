// The queue with separate producers and consumers against the real service:
// every item is delivered exactly once, each producer's items in the order it
// put them (by the zxids of the claims), a take waits for an item, and lost
// answers to a put or a claim neither duplicate nor lose an item.
import { describe, expect, test } from "vitest";
import { SessionExpiredError, toText } from "../../client/index.js";
import { Queue, type QueueItem } from "../../recipes/index.js";
import { FaultyFetch } from "../client/support.js";
import { servicePerFile } from "./harness.js";

const h = servicePerFile();

describe("Queue", { timeout: 120_000 }, () => {
  test("three producers, three consumers: every item delivered once, each producer's items in order", async () => {
    const producers = await Promise.all([0, 1, 2].map(() => h.client()));
    const consumers = await Promise.all([0, 1, 2].map(() => h.client()));
    const path = "/q/a";
    const total = 24;
    const delivered: QueueItem[] = [];
    // Each consumer takes until it gets a "stop", put after every item: FIFO makes it the end.
    const taking = consumers.map(async (zk) => {
      const q = new Queue(zk, path);
      for (;;) {
        const item = await q.take();
        if (toText(item.data) === "stop") return;
        delivered.push(item);
      }
    });
    await Promise.all(
      producers.map(async (zk, p) => {
        const q = new Queue(zk, path);
        for (let i = 0; i < total / 3; i++) await q.put(`p${p}-${String(i).padStart(2, "0")}`);
      }),
    );
    for (let i = 0; i < consumers.length; i++) await new Queue(producers[0]!, path).put("stop");
    await Promise.all(taking);
    const texts = delivered.map((d) => toText(d.data));
    expect(texts).toHaveLength(total);
    expect(new Set(texts).size).toBe(total);
    delivered.sort((a, b) => (a.zxid < b.zxid ? -1 : 1));
    for (const p of [0, 1, 2]) {
      const mine = delivered.map((d) => toText(d.data)).filter((t) => t.startsWith(`p${p}-`));
      expect(mine).toEqual([...mine].sort());
      expect(mine).toHaveLength(total / 3);
    }
    expect(await new Queue(producers[0]!, path).size()).toBe(0);
    // Nothing but the queue's own node is left: no items, no claims.
    expect((await producers[0]!.getChildren(path)).children).toEqual([]);
  });

  test("take waits for an item; poll does not", async () => {
    const [a, b] = await Promise.all([h.client(), h.client()]);
    const path = "/q/b";
    expect(await new Queue(a!, path).poll()).toBeUndefined();
    const taking = new Queue(a!, path).take();
    await new Queue(b!, path).put("late");
    expect(toText((await taking).data)).toBe("late");
  });

  test("lost answers: a put found again by its GUID is not added twice; a claim settled by its claim node is delivered once", async () => {
    const lossy = new FaultyFetch();
    const a = await h.client({ fetch: lossy.fetch });
    const b = await h.client();
    const path = "/q/c";
    await new Queue(b, path).put("first");
    lossy.arm("lose", (method, url) => method === "POST" && url.includes("/v1/znodes/q/c/_c_"));
    await new Queue(a, path).put("second");
    expect(lossy.injected).toBe(1);
    expect(await new Queue(b, path).size()).toBe(2);
    lossy.arm("lose", (method, url) => method === "POST" && url.endsWith("/v1/multi"));
    const got = await new Queue(a, path).take();
    expect(lossy.injected).toBe(2);
    expect(toText(got.data)).toBe("first");
    const next = await new Queue(b, path).take();
    expect(toText(next.data)).toBe("second");
    expect(await new Queue(b, path).poll()).toBeUndefined();
    expect((await b.getChildren(path)).children).toEqual([]);
  });

  test("a consumer whose session is closed (waiting on an empty queue) fails, and the next item goes to another", async () => {
    const [a, b, p] = await Promise.all([h.client(), h.client(), h.client()]);
    const path = "/q/d";
    await new Queue(p!, path).put("x");
    await new Queue(p!, path).take();
    const aFails = expect(new Queue(a!, path).take()).rejects.toBeInstanceOf(SessionExpiredError);
    expect(await h.closeSession(a!.sessionId!)).toBe(204);
    await aFails;
    const bTaking = new Queue(b!, path).take();
    await new Queue(p!, path).put("y");
    expect(toText((await bTaking).data)).toBe("y");
  });
});
