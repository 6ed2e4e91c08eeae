// The read-write lock with separate clients against the real service: readers
// share it, a writer excludes everyone, a reader queued behind a writer waits
// for it (writers are not starved), and a writer whose session ends hands the
// lock on. Exclusion is checked on the zxids of writes made while holding.
import { describe, expect, test } from "vitest";
import type { ZkClient } from "../../client/index.js";
import { LostError, ReadWriteLock } from "../../recipes/index.js";
import { servicePerFile, until } from "./harness.js";
import { expectExclusive, peakConcurrency, type Holding } from "./overlap.js";

const h = servicePerFile();

async function mark(zk: ZkClient, log: string, holding: Holding): Promise<void> {
  holding.zxids.push((await zk.setData(log, holding.who)).mzxid);
}

describe("ReadWriteLock", { timeout: 120_000 }, () => {
  test("three readers hold it at once; writers exclude readers and each other over many rounds", async () => {
    const clients = await Promise.all([0, 1, 2, 3, 4].map(() => h.client()));
    const path = "/rw/a";
    const log = "/rw-a-log";
    await clients[0]!.create(log);
    // Sharing, shown without timing: all three read holds are granted while all three are held.
    const reads = await Promise.all(clients.slice(0, 3).map((zk) => new ReadWriteLock(zk, path).readLock.acquire()));
    expect((await new ReadWriteLock(clients[0]!, path).contenders()).map((c) => c.kind)).toEqual(["read", "read", "read"]);
    await Promise.all(reads.map((r) => r.release()));

    const readers: Holding[] = [];
    const writers: Holding[] = [];
    await Promise.all(
      clients.map(async (zk, i) => {
        const rw = new ReadWriteLock(zk, path);
        const writer = i >= 3;
        for (let round = 0; round < 3; round++) {
          const hold = await (writer ? rw.writeLock : rw.readLock).acquire();
          const holding: Holding = { who: `${writer ? "w" : "r"}${i}.${round}`, zxids: [] };
          (writer ? writers : readers).push(holding);
          await mark(zk, log, holding);
          await zk.getData(log);
          await mark(zk, log, holding);
          await hold.release();
        }
      }),
    );
    expect(writers).toHaveLength(6);
    expect(readers).toHaveLength(9);
    expectExclusive(writers, [...readers, ...writers]);
  });

  test("a reader that queues behind a waiting writer waits for that writer", async () => {
    const [r1, w, r2] = await Promise.all([h.client(), h.client(), h.client()]);
    const path = "/rw/b";
    const events: string[] = [];
    const first = await new ReadWriteLock(r1!, path).readLock.acquire();
    const writing = new ReadWriteLock(w!, path).writeLock.acquire().then((hold) => (events.push("w acquired"), hold));
    await until("w queues", async () => (await new ReadWriteLock(r1!, path).contenders()).length === 2);
    const reading = new ReadWriteLock(r2!, path).readLock.acquire().then((hold) => (events.push("r2 acquired"), hold));
    await until("r2 queues", async () => (await new ReadWriteLock(r1!, path).contenders()).length === 3);
    events.push("r1 releases");
    await first.release();
    const wHold = await writing;
    events.push("w releases");
    await wHold.release();
    await (await reading).release();
    expect(events).toEqual(["r1 releases", "w acquired", "w releases", "r2 acquired"]);
  });

  test("a writer whose session is closed from outside learns it, and the readers behind it get in", async () => {
    const [w, r1, r2] = await Promise.all([h.client(), h.client(), h.client()]);
    const path = "/rw/c";
    const log = "/rw-c-log";
    await w!.create(log);
    const wHold = await new ReadWriteLock(w!, path).writeLock.acquire();
    const W: Holding = { who: "w", zxids: [] };
    await mark(w!, log, W);
    const readers = [r1!, r2!].map(async (zk, i) => {
      const hold = await new ReadWriteLock(zk, path).readLock.acquire();
      const holding: Holding = { who: `r${i + 1}`, zxids: [] };
      await mark(zk, log, holding);
      return { zk, hold, holding };
    });
    await until("readers queue", async () => (await new ReadWriteLock(w!, path).contenders()).length === 3);
    // The writer works until it hears that it lost the lock; its writes fail once its session is gone.
    const wWorks = (async () => {
      while (!wHold.signal.aborted) {
        try {
          await mark(w!, log, W);
        } catch {
          await until("w hears of the loss", () => wHold.signal.aborted);
        }
      }
    })();
    expect(await h.closeSession(w!.sessionId!)).toBe(204);
    const got = await Promise.all(readers);
    await wWorks;
    expect(wHold.signal.reason).toBeInstanceOf(LostError);
    // Both readers hold it at once, after the writer.
    for (const g of got) await mark(g.zk, log, g.holding);
    await Promise.all(got.map((g) => g.hold.release()));
    expectExclusive([W], [W, ...got.map((g) => g.holding)]);
    expect(peakConcurrency(got.map((g) => g.holding)).peak).toBe(2);
  });
});
