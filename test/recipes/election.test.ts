// Leader election with separate clients against the real service: one leader
// at a time (by the zxids of the writes each made while it believed it led),
// leadership passing in the order participants joined, and the leader hearing
// "lost" when its session is closed from outside or when it is cut off from
// the service for longer than the grace, which comes before anyone else is
// elected.
import { describe, expect, test } from "vitest";
import type { ZkClient } from "../../client/index.js";
import { ElectionEvent, LeaderElection, LostError, RecipeTimeoutError, type Hold } from "../../recipes/index.js";
import { FaultyFetch } from "../client/support.js";
import { servicePerFile, until } from "./harness.js";
import { expectNoOverlap, type Holding } from "./overlap.js";

const h = servicePerFile();

async function mark(zk: ZkClient, log: string, holding: Holding): Promise<void> {
  holding.zxids.push((await zk.setData(log, holding.who)).mzxid);
}

/** Writes while the leadership lasts; stops when it is lost (its writes fail once the session is gone). */
async function workWhileLeading(zk: ZkClient, log: string, holding: Holding, hold: Hold): Promise<void> {
  while (!hold.signal.aborted) {
    try {
      await mark(zk, log, holding);
    } catch {
      await until(`${holding.who} hears of the loss`, () => hold.signal.aborted);
    }
  }
}

describe("LeaderElection", { timeout: 120_000 }, () => {
  test("one leader at a time, in the order of joining, as each leader steps down", async () => {
    const clients = await Promise.all([0, 1, 2].map(() => h.client()));
    const path = "/elect/a";
    const log = "/elect-a-log";
    await clients[0]!.create(log);
    const elections = clients.map((zk, i) => new LeaderElection(zk, path, { id: `p${i}` }));
    for (const e of elections) await e.start();
    expect(await elections[0]!.participants()).toEqual(["p0", "p1", "p2"]);
    const holdings: Holding[] = [];
    for (let turn = 0; turn < 3; turn++) {
      const hold = await elections[turn]!.awaitLeadership();
      expect(elections.map((e) => e.isLeader)).toEqual([0, 1, 2].map((i) => i === turn));
      expect(await elections[turn]!.leader()).toBe(`p${turn}`);
      const holding: Holding = { who: `p${turn}`, zxids: [] };
      holdings.push(holding);
      await mark(clients[turn]!, log, holding);
      await mark(clients[turn]!, log, holding);
      expect(hold.signal.aborted).toBe(false);
      await elections[turn]!.close();
    }
    expectNoOverlap(holdings, 3);
    expect(await elections[0]!.participants()).toEqual([]);
  });

  test("the leader's session is closed from outside: it hears \"lost\", the next participant leads, and it can rejoin with a new session", async () => {
    const [a, b] = await Promise.all([h.client(), h.client()]);
    const path = "/elect/b";
    const log = "/elect-b-log";
    await a!.create(log);
    const ea = new LeaderElection(a!, path, { id: "a" });
    const eb = new LeaderElection(b!, path, { id: "b" });
    const lost: ElectionEvent[] = [];
    ea.addEventListener("lost", (e) => lost.push(e as ElectionEvent));
    await ea.start();
    await eb.start();
    const holdA = await ea.awaitLeadership();
    const A: Holding = { who: "a", zxids: [] };
    const aWorks = workWhileLeading(a!, log, A, holdA);
    await until("a has written", () => A.zxids.length > 0);
    expect(await h.closeSession(a!.sessionId!)).toBe(204);
    const holdB = await eb.awaitLeadership();
    await aWorks;
    const B: Holding = { who: "b", zxids: [] };
    await mark(b!, log, B);
    expect(lost).toHaveLength(1);
    expect(lost[0]!.reason).toBeInstanceOf(LostError);
    expect(ea.isLeader).toBe(false);
    expect(await eb.leader()).toBe("b");
    expectNoOverlap([A, B], 2);
    expect(holdB.signal.aborted).toBe(false);
    // With a new session, a rejoins at the back.
    await a!.start();
    await ea.start();
    expect(await eb.participants()).toEqual(["b", "a"]);
    await eb.close();
    await ea.awaitLeadership();
    await ea.close();
  });

  test("a leader cut off from the service gives leadership up before the service lets anyone else lead", async () => {
    const cut = new FaultyFetch();
    const a = await h.client({ fetch: cut.fetch });
    const b = await h.client();
    const path = "/elect/c";
    const log = "/elect-c-log";
    await b.create(log);
    const order: string[] = [];
    const ea = new LeaderElection(a, path, { id: "a" });
    const eb = new LeaderElection(b, path, { id: "b" });
    ea.addEventListener("lost", (e) => order.push(`a lost (${((e as ElectionEvent).reason as LostError).why})`));
    eb.addEventListener("elected", () => order.push("b elected"));
    await ea.start();
    await eb.start();
    await ea.awaitLeadership();
    const A: Holding = { who: "a", zxids: [] };
    await mark(a, log, A);
    cut.partition();
    // b is elected only once a's session has expired on the service: a's pings no longer arrive.
    await eb.awaitLeadership();
    const B: Holding = { who: "b", zxids: [] };
    await mark(b, log, B);
    expect(order).toEqual(["a lost (suspended)", "b elected"]);
    expectNoOverlap([A, B], 2);
    await eb.close();
  });

  test("a participant whose session is closed while it waits hears \"left\"; the leader leads on", async () => {
    const [a, b] = await Promise.all([h.client(), h.client()]);
    const path = "/elect/e";
    const ea = new LeaderElection(a!, path, { id: "a" });
    const eb = new LeaderElection(b!, path, { id: "b" });
    const left: ElectionEvent[] = [];
    eb.addEventListener("left", (e) => left.push(e as ElectionEvent));
    await ea.start();
    await eb.start();
    const holdA = await ea.awaitLeadership();
    const bWaits = expect(eb.awaitLeadership()).rejects.toBeInstanceOf(LostError);
    expect(await h.closeSession(b!.sessionId!)).toBe(204);
    await bWaits;
    expect(left).toHaveLength(1);
    expect(left[0]!.reason).toBeInstanceOf(LostError);
    expect(await ea.participants()).toEqual(["a"]);
    expect(ea.isLeader).toBe(true);
    expect(holdA.signal.aborted).toBe(false);
    await ea.close();
  });

  test("close() while start() is creating its node leaves no node behind to block the others", async () => {
    const path = "/elect/e";
    let creating!: () => void;
    const sent = new Promise<void>((resolve) => (creating = resolve));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    // The participant's create reaches the service; its answer waits until close() has been called.
    const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
      const res = await globalThis.fetch(input, init);
      if (init?.method === "POST" && new URL(String(input)).pathname.startsWith(`/v1/znodes${path}/`)) {
        creating();
        await gate;
      }
      return res;
    };
    const [slow, other] = await Promise.all([h.client({ fetch }), h.client()]);
    const e = new LeaderElection(slow!, path, { id: "slow" });
    const joinFails = expect(e.start()).rejects.toThrow(/left the election/);
    await sent;
    const leaving = e.close();
    release();
    await leaving;
    await joinFails;
    expect(await e.participants()).toEqual([]);
    const o = new LeaderElection(other!, path, { id: "other" });
    await o.start();
    await o.awaitLeadership({ timeoutMs: 10_000 });
    await o.close();
  });

  test("awaitLeadership with a timeout gives up waiting but stays in the election", async () => {
    const [a, b] = await Promise.all([h.client(), h.client()]);
    const path = "/elect/d";
    const ea = new LeaderElection(a!, path, { id: "a" });
    const eb = new LeaderElection(b!, path, { id: "b" });
    await ea.start();
    await eb.start();
    await ea.awaitLeadership();
    await expect(eb.awaitLeadership({ timeoutMs: 200 })).rejects.toBeInstanceOf(RecipeTimeoutError);
    expect(await eb.participants()).toEqual(["a", "b"]);
    // Waiting without taking part, or while leaving, does not hang.
    await expect(new LeaderElection(b!, path).awaitLeadership()).rejects.toThrow(/start\(\) first/);
    const c = new LeaderElection(b!, path, { id: "c" });
    await c.start();
    const cWaits = expect(c.awaitLeadership()).rejects.toThrow(/left the election/);
    await c.close();
    await cWaits;
    await ea.close();
    await eb.awaitLeadership();
    expect(eb.isLeader).toBe(true);
    await eb.close();
  });
});
