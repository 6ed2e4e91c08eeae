// The fair lock, with separate clients (separate sessions) contending against
// the real service on a real etcd. "No two holders overlap" is checked on
// the zxids of the writes each holder made while it believed it held the
// lock: in the service's one order of writes, no holding starts before the
// previous one ended.
import { describe, expect, test } from "vitest";
import { LostError, Lock, RecipeTimeoutError, type Hold } from "../../recipes/index.js";
import { SessionExpiredError, type ZkClient } from "../../client/index.js";
import { FaultyFetch } from "../client/support.js";
import { servicePerFile, until } from "./harness.js";
import { expectNoOverlap, type Holding } from "./overlap.js";

const h = servicePerFile();

/** A write inside the critical section: its zxid goes into the holding. */
async function mark(zk: ZkClient, log: string, holding: Holding): Promise<void> {
  holding.zxids.push((await zk.setData(log, holding.who)).mzxid);
}

describe("Lock", { timeout: 120_000 }, () => {
  test("four clients, three rounds each: one holder at a time, in the order they queued", async () => {
    const clients = await Promise.all([0, 1, 2, 3].map(() => h.client()));
    const log = "/l1-log";
    await clients[0]!.create(log);
    const holdings: (Holding & { czxid: bigint })[] = [];
    await Promise.all(
      clients.map(async (zk, i) => {
        const lock = new Lock(zk, "/locks/l1");
        for (let round = 0; round < 3; round++) {
          const hold = await lock.acquire();
          const holding = { who: `c${i}r${round}`, zxids: [] as bigint[], czxid: hold.czxid };
          holdings.push(holding);
          await mark(zk, log, holding);
          // Something else happens while holding, so that overlapping holders would interleave.
          await zk.getData(log);
          await mark(zk, log, holding);
          expect(hold.signal.aborted).toBe(false);
          await hold.release();
        }
      }),
    );
    expectNoOverlap(holdings, 12);
    // Fair: holdings came in the order of their nodes' creation.
    const byEntry = [...holdings].sort((a, b) => (a.zxids[0]! < b.zxids[0]! ? -1 : 1));
    const czxids = byEntry.map((x) => x.czxid);
    expect(czxids).toEqual([...czxids].sort((a, b) => (a < b ? -1 : 1)));
    expect(await new Lock(clients[0]!, "/locks/l1").contenders()).toEqual([]);
  });

  test("the holder's session is closed from outside: it learns it lost the lock, and the lock passes down the queue", async () => {
    const [a, b, c] = await Promise.all([h.client(), h.client(), h.client()]);
    const log = "/l2-log";
    await a!.create(log);
    const path = "/locks/l2";
    const holdA = await new Lock(a!, path).acquire();
    const A: Holding = { who: "a", zxids: [] };
    const waiters = [b!, c!].map(async (zk, i) => {
      const hold = await new Lock(zk, path).acquire();
      const holding: Holding = { who: ["b", "c"][i]!, zxids: [] };
      await mark(zk, log, holding);
      await mark(zk, log, holding);
      await hold.release();
      return holding;
    });
    await until("b and c queue behind a", async () => (await new Lock(a!, path).contenders()).length === 3);
    // a works inside its critical section until it hears that it lost the lock.
    const aWorks = (async () => {
      while (!holdA.signal.aborted) {
        try {
          await mark(a!, log, A);
        } catch {
          await until("a hears of the loss", () => holdA.signal.aborted);
        }
      }
    })();
    await until("a has written", () => A.zxids.length > 0);
    expect(await h.closeSession(a!.sessionId!)).toBe(204);
    await aWorks;
    const reason = holdA.signal.reason;
    expect(reason).toBeInstanceOf(LostError);
    expect(["expired", "deleted"]).toContain((reason as LostError).why);
    const [B, C] = await Promise.all(waiters);
    expectNoOverlap([A, B!, C!], 3);
  });

  test("holders' sessions closed from outside, again and again, while four clients contend: never two holders", async () => {
    const clients = await Promise.all([0, 1, 2, 3].map(() => h.client()));
    const path = "/locks/l8";
    const log = "/l8-log";
    await clients[0]!.create(log);
    const holdings: Holding[] = [];
    const killed: { hold: Hold; holding: Holding }[] = [];
    const contend = async (zk: ZkClient, i: number) => {
      for (let round = 0; round < 4; round++) {
        let hold: Hold;
        try {
          hold = await new Lock(zk, path).acquire();
        } catch (e) {
          // Our session was closed while we waited: start a new one and queue again.
          expect(e).toBeInstanceOf(SessionExpiredError);
          await zk.start();
          continue;
        }
        const holding: Holding = { who: `c${i}r${round}`, zxids: [] };
        holdings.push(holding);
        // Every third holding has its session closed by someone else right after its first write.
        const victim = holdings.length % 3 === 1;
        for (let k = 0; k < 4 && !hold.signal.aborted; k++) {
          try {
            await mark(zk, log, holding);
          } catch {
            break;
          }
          if (victim && k === 0) {
            killed.push({ hold, holding });
            expect(await h.closeSession(zk.sessionId!)).toBe(204);
          }
        }
        await hold.release().catch(() => undefined);
        if (victim) {
          await until(`${holding.who} hears of the loss`, () => hold.signal.aborted);
          await zk.start();
        }
      }
    };
    await Promise.all(clients.map(contend));
    expect(killed.length).toBeGreaterThanOrEqual(3);
    for (const k of killed) expect(k.hold.signal.reason).toBeInstanceOf(LostError);
    expectNoOverlap(holdings, holdings.length);
    expect(holdings.length).toBeGreaterThanOrEqual(12);
  });

  test("a holder cut off from the service gives the lock up before its session expires and the next waiter gets it", async () => {
    const cut = new FaultyFetch();
    const a = await h.client({ fetch: cut.fetch });
    const b = await h.client();
    const log = "/l3-log";
    await b.create(log);
    const path = "/locks/l3";
    const order: string[] = [];
    const holdA = await new Lock(a, path).acquire();
    holdA.signal.addEventListener("abort", () => order.push("a lost"));
    const A: Holding = { who: "a", zxids: [] };
    await mark(a, log, A);
    const waiting = new Lock(b, path).acquire().then((hold) => {
      order.push("b acquired");
      return hold;
    });
    await until("b queues", async () => (await new Lock(b, path).contenders()).length === 2);
    cut.partition();
    const holdB = await waiting;
    const B: Holding = { who: "b", zxids: [] };
    await mark(b, log, B);
    await holdB.release();
    expect((holdA.signal.reason as LostError).why).toBe("suspended");
    // The order of beliefs, not of times: a stopped believing before b started.
    expect(order).toEqual(["a lost", "b acquired"]);
    expectNoOverlap([A, B], 2);
  });

  test("a holder that gave the lock up while cut off also gives its node up once it is back, before its session ends", async () => {
    const flaky = new FaultyFetch();
    const a = await h.client({ fetch: flaky.fetch });
    const b = await h.client();
    const path = "/locks/l9";
    const holdA = await new Lock(a, path, { suspendedGraceMs: 0 }).acquire();
    const waiting = new Lock(b, path).acquire();
    await until("b queues", async () => (await new Lock(b, path).contenders()).length === 2);
    flaky.partition();
    await until("a gives up", () => holdA.signal.aborted);
    expect((holdA.signal.reason as LostError).why).toBe("suspended");
    flaky.partitioned = false;
    const holdB = await waiting;
    // a's session is still live: b got the lock because a deleted its node, not because a expired.
    expect(await a.getEphemerals()).toEqual([]);
    // Only a ping brings a suspended client back: its next one does.
    await until("a's pings get through", () => a.state === "connected");
    await holdB.release();
  });

  test("a waiter cut off from the service for a moment keeps its place and gets the lock", async () => {
    const flaky = new FaultyFetch();
    const a = await h.client();
    const b = await h.client({ fetch: flaky.fetch });
    const path = "/locks/l6";
    const holdA = await new Lock(a, path).acquire();
    const waiting = new Lock(b, path).acquire();
    await until("b queues", async () => (await new Lock(a, path).contenders()).length === 2);
    const queued = await new Lock(a, path).contenders();
    flaky.partition();
    await until("b notices", () => b.state === "suspended");
    // a lets go while b cannot hear of it; b finds out once it is back.
    await holdA.release();
    flaky.partitioned = false;
    const holdB = await waiting;
    expect(holdB.path.slice(path.length + 1)).toBe(queued[1]);
    expect(holdB.signal.aborted).toBe(false);
    await holdB.release();
  });

  test("withLock releases however its function ends; a released holding is never reported lost", async () => {
    const [a, b] = await Promise.all([h.client(), h.client()]);
    const path = "/locks/l7";
    await expect(new Lock(a!, path).withLock(async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(await new Lock(a!, path).contenders()).toEqual([]);
    expect(await new Lock(a!, path).withLock(async (hold) => hold.path.startsWith(`${path}/_c_`))).toBe(true);
    const hold = await new Lock(b!, path).acquire();
    await hold.release();
    await hold.release();
    expect(await h.closeSession(b!.sessionId!)).toBe(204);
    await until("b hears its session is gone", async () => {
      await b!.exists("/").catch(() => undefined);
      return b!.state === "expired";
    });
    expect(hold.signal.aborted).toBe(false);
  });

  test("a timed-out or cancelled wait leaves the queue, so later contenders are not blocked by it", async () => {
    const [a, b, c, d] = await Promise.all([h.client(), h.client(), h.client(), h.client()]);
    const path = "/locks/l4";
    const holdA = await new Lock(a!, path).acquire();
    await expect(new Lock(b!, path).acquire({ timeoutMs: 200 })).rejects.toBeInstanceOf(RecipeTimeoutError);
    const ctl = new AbortController();
    const cancelled = new Lock(c!, path).acquire({ signal: ctl.signal });
    await until("c queues", async () => (await new Lock(a!, path).contenders()).length === 2);
    ctl.abort(new Error("changed my mind"));
    await expect(cancelled).rejects.toThrow("changed my mind");
    expect((await new Lock(a!, path).contenders()).length).toBe(1);
    const next = new Lock(d!, path).acquire();
    await holdA.release();
    const holdD: Hold = await next;
    expect(await new Lock(a!, path).contenders()).toEqual([holdD.path.slice(path.length + 1)]);
    await holdD.release();
  });

  test("a create whose answer is lost: the contender finds its own node by its GUID and queues once", async () => {
    const lossy = new FaultyFetch();
    const a = await h.client();
    const b = await h.client({ fetch: lossy.fetch });
    const path = "/locks/l5";
    const holdA = await new Lock(a, path).acquire();
    lossy.arm("lose", (method, url) => method === "POST" && url.includes("/v1/znodes/locks/l5/_c_"));
    const waiting = new Lock(b, path).acquire();
    await until("b queues", async () => (await new Lock(a, path).contenders()).length >= 2);
    const queued = await new Lock(a, path).contenders();
    await holdA.release();
    const holdB = await waiting;
    expect(lossy.injected).toBe(1);
    expect(queued).toHaveLength(2);
    expect(queued[1]).toBe(holdB.path.slice(path.length + 1));
    expect(await new Lock(a, path).contenders()).toEqual([queued[1]]);
    await holdB.release();
  });
});
