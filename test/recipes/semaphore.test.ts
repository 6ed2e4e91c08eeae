// The counting semaphore with separate clients against the real service: at
// most maxLeases holders at any zxid, leases handed on when a holder's session
// ends, a timed-out wait leaves nothing behind, and clients that disagree on
// the limit are refused.
import { describe, expect, test } from "vitest";
import type { ZkClient } from "../../client/index.js";
import { LostError, RecipeTimeoutError, Semaphore, SemaphoreLimitMismatchError } from "../../recipes/index.js";
import { servicePerFile, until } from "./harness.js";
import { expectAtMostConcurrent, peakConcurrency, type Holding } from "./overlap.js";

const h = servicePerFile();

async function mark(zk: ZkClient, log: string, holding: Holding): Promise<void> {
  holding.zxids.push((await zk.setData(log, holding.who)).mzxid);
}

describe("Semaphore", { timeout: 120_000 }, () => {
  test("five clients, two leases, two rounds each: never more than two holders", async () => {
    const clients = await Promise.all([0, 1, 2, 3, 4].map(() => h.client()));
    const path = "/sem/a";
    const log = "/sem-a-log";
    await clients[0]!.create(log);
    // Two leases are granted together (shown without timing: both held at once).
    const both = await Promise.all(clients.slice(0, 2).map((zk) => new Semaphore(zk, path, 2).acquire()));
    expect(await new Semaphore(clients[0]!, path, 2).holders()).toHaveLength(2);
    await Promise.all(both.map((l) => l.release()));

    const holdings: Holding[] = [];
    await Promise.all(
      clients.map(async (zk, i) => {
        const sem = new Semaphore(zk, path, 2);
        for (let round = 0; round < 2; round++) {
          const lease = await sem.acquire();
          const holding: Holding = { who: `c${i}.${round}`, zxids: [] };
          holdings.push(holding);
          await mark(zk, log, holding);
          await zk.getData(log);
          await mark(zk, log, holding);
          await lease.release();
        }
      }),
    );
    expectAtMostConcurrent(holdings, 2, 10);
    expect(await new Semaphore(clients[0]!, path, 2).holders()).toEqual([]);
  });

  test("a holder whose session is closed from outside loses its lease, and a waiter gets it", async () => {
    const [a, b, c] = await Promise.all([h.client(), h.client(), h.client()]);
    const path = "/sem/b";
    const log = "/sem-b-log";
    await a!.create(log);
    const leaseA = await new Semaphore(a!, path, 2).acquire();
    const leaseB = await new Semaphore(b!, path, 2).acquire();
    const A: Holding = { who: "a", zxids: [] };
    const B: Holding = { who: "b", zxids: [] };
    const C: Holding = { who: "c", zxids: [] };
    await mark(b!, log, B);
    const waiting = new Semaphore(c!, path, 2).acquire();
    // c holds the gate while it waits for room: its lease node is the third.
    await until("c waits for room", async () => (await new Semaphore(a!, path, 2).holders()).length === 3);
    const aWorks = (async () => {
      while (!leaseA.signal.aborted) {
        try {
          await mark(a!, log, A);
        } catch {
          await until("a hears of the loss", () => leaseA.signal.aborted);
        }
      }
    })();
    await until("a has written", () => A.zxids.length > 0);
    expect(await h.closeSession(a!.sessionId!)).toBe(204);
    const leaseC = await waiting;
    await aWorks;
    expect(leaseA.signal.reason).toBeInstanceOf(LostError);
    await mark(c!, log, C);
    await mark(b!, log, B);
    expect(peakConcurrency([A, B, C]).peak).toBe(2);
    expectAtMostConcurrent([A, B, C], 2, 3);
    await Promise.all([leaseB.release(), leaseC.release()]);
  });

  test("a wait that times out leaves no lease and lets the next contender through the gate", async () => {
    const [a, b, c] = await Promise.all([h.client(), h.client(), h.client()]);
    const path = "/sem/c";
    const leaseA = await new Semaphore(a!, path, 1).acquire();
    await expect(new Semaphore(b!, path, 1).acquire({ timeoutMs: 300 })).rejects.toBeInstanceOf(RecipeTimeoutError);
    expect(await new Semaphore(a!, path, 1).holders()).toEqual([leaseA.path.slice(leaseA.path.lastIndexOf("/") + 1)]);
    const next = new Semaphore(c!, path, 1).acquire();
    await leaseA.release();
    await (await next).release();
  });

  test("clients that disagree on the limit are refused", async () => {
    const [a, b] = await Promise.all([h.client(), h.client()]);
    const lease = await new Semaphore(a!, "/sem/d", 3).acquire();
    await expect(new Semaphore(b!, "/sem/d", 2).acquire()).rejects.toBeInstanceOf(SemaphoreLimitMismatchError);
    expect(await b!.getText("/sem/d")).toBe("3");
    await lease.release();
  });
});
