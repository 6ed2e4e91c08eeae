// Under contention a valid request succeeds, as it does on ZooKeeper: many
// callers writing under one parent or to one node at once all get their
// answer, with nothing lost, doubled or refused. No timing is asserted; a
// writer that starves fails by the test's timeout or by OPERATIONTIMEOUT.
import { describe, expect, test } from "vitest";
import { etcdPerFile } from "../support/suite.js";
import { b64, service, TRANSPORTS } from "../support/service.js";

const etcd = etcdPerFile();
const CLIENTS = 64;

const statuses = (rs: { status: number }[]) => rs.map((r) => r.status);

type Call = ReturnType<typeof service>["call"];

/**
 * The etcd round trips `run` made for `op`, from /v1/stats. A write is at
 * most a read and a commit; racing writers that lose to each other retry and
 * would cost more (about ten each, before creation shards and turns).
 */
async function roundTrips(call: Call, op: string, run: () => Promise<unknown>): Promise<number> {
  const before = (await call("GET", "/v1/stats")).body.operations[op]?.roundTrips ?? 0;
  await run();
  return (await call("GET", "/v1/stats")).body.operations[op].roundTrips - before;
}

describe.each(TRANSPORTS)(`%s: ${CLIENTS} callers at once`, (transport) => {
  test("plain creates of children of one parent", async () => {
    const { call } = service(etcd.client(transport));
    await call("POST", "/v1/znodes/plain");
    const created = await Promise.all(Array.from({ length: CLIENTS }, (_, i) => call("POST", `/v1/znodes/plain/n${i}`)));
    expect(statuses(created)).toEqual(Array(CLIENTS).fill(201));
    const parent = (await call("GET", "/v1/znodes/plain?view=stat")).body.stat;
    expect(parent).toMatchObject({ numChildren: CLIENTS, cversion: CLIENTS });
  });

  test("sequential creates under one parent: every name once, densely", async () => {
    const { call } = service(etcd.client(transport));
    await call("POST", "/v1/znodes/seq");
    let created: Awaited<ReturnType<Call>>[] = [];
    const trips = await roundTrips(call, "create", async () => {
      created = await Promise.all(Array.from({ length: CLIENTS }, () => call("POST", "/v1/znodes/seq/job-", { json: { mode: "persistent_sequential" } })));
    });
    expect(statuses(created)).toEqual(Array(CLIENTS).fill(201));
    expect(trips).toBeLessThanOrEqual(2 * CLIENTS);
    expect(created.map((r) => r.body.path).sort()).toEqual(Array.from({ length: CLIENTS }, (_, i) => `/seq/job-${String(i).padStart(10, "0")}`));
  });

  test("multis of three creates, all under one parent", async () => {
    const { call } = service(etcd.client(transport));
    await call("POST", "/v1/znodes/multi");
    let multis: Awaited<ReturnType<Call>>[] = [];
    const trips = await roundTrips(call, "multi", async () => {
      multis = await Promise.all(
        Array.from({ length: CLIENTS }, (_, i) =>
          call("POST", "/v1/multi", { json: { ops: [0, 1, 2].map((k) => ({ op: "create", path: `/multi/m${i}-${k}` })) } }),
        ),
      );
    });
    expect(statuses(multis)).toEqual(Array(CLIENTS).fill(200));
    expect(trips).toBeLessThanOrEqual(2 * CLIENTS);
    const parent = await call("GET", "/v1/znodes/multi?view=children");
    expect(parent.body.children).toHaveLength(3 * CLIENTS);
    expect(parent.body.stat).toMatchObject({ numChildren: 3 * CLIENTS, cversion: 3 * CLIENTS });
    // Each multi is one txn: its three creates share one czxid, and no two multis share one.
    const czxids = multis.map((r) => r.body.results.map((x: { stat: { czxid: string } }) => x.stat.czxid));
    for (const [a, b, c] of czxids) expect(b === a && c === a).toBe(true);
    expect(new Set(czxids.map(([a]) => a)).size).toBe(CLIENTS);
  });

  test("unconditional sets of one node: each lands, one version each", async () => {
    const { call } = service(etcd.client(transport));
    await call("POST", "/v1/znodes/hot");
    let sets: Awaited<ReturnType<Call>>[] = [];
    const trips = await roundTrips(call, "setData", async () => {
      sets = await Promise.all(Array.from({ length: CLIENTS }, (_, i) => call("PUT", "/v1/znodes/hot?version=-1", { json: { data: b64(String(i)) } })));
    });
    expect(statuses(sets)).toEqual(Array(CLIENTS).fill(200));
    expect(trips).toBeLessThanOrEqual(2 * CLIENTS);
    expect(sets.map((r) => r.body.stat.version).sort((a: number, b: number) => a - b)).toEqual(Array.from({ length: CLIENTS }, (_, i) => i + 1));
    expect((await call("GET", "/v1/znodes/hot?view=stat")).body.stat.version).toBe(CLIENTS);
  });

  test("sets of one node by callers each in its own session: a turn hands the next one its session's state too", async () => {
    const { call } = service(etcd.client(transport));
    await call("POST", "/v1/znodes/owned");
    const sessions = await Promise.all(Array.from({ length: CLIENTS }, () => call("POST", "/v1/sessions", { json: { timeoutMs: 30_000 } })));
    let sets: Awaited<ReturnType<Call>>[] = [];
    const trips = await roundTrips(call, "setData", async () => {
      sets = await Promise.all(
        sessions.map((s, i) => call("PUT", "/v1/znodes/owned?version=-1", { json: { data: b64(String(i)) }, headers: { "ZK-Session": s.body.id } })),
      );
    });
    expect(statuses(sets)).toEqual(Array(CLIENTS).fill(200));
    // Queued writers take the state the one before them read in its commit,
    // so most are one round trip; a writer that had to read its session
    // first would make this about 2 per write.
    expect(trips).toBeLessThan(1.5 * CLIENTS);
    expect(sets.map((r) => r.body.stat.version).sort((a: number, b: number) => a - b)).toEqual(Array.from({ length: CLIENTS }, (_, i) => i + 1));
    await Promise.all(sessions.map((s) => call("DELETE", `/v1/sessions/${s.body.id}`)));
  });

  test("all of it at once on one parent", async () => {
    const { call } = service(etcd.client(transport));
    await call("POST", "/v1/znodes/mix");
    const n = CLIENTS / 4;
    const replies = await Promise.all([
      ...Array.from({ length: n }, (_, i) => call("POST", `/v1/znodes/mix/p${i}`)),
      ...Array.from({ length: n }, () => call("POST", "/v1/znodes/mix/s-", { json: { mode: "persistent_sequential" } })),
      ...Array.from({ length: n }, (_, i) => call("POST", "/v1/multi", { json: { ops: [0, 1].map((k) => ({ op: "create", path: `/mix/m${i}-${k}` })) } })),
      ...Array.from({ length: n }, () => call("PUT", "/v1/znodes/mix", { json: { data: b64("x") } })),
    ]);
    expect(replies.every((r) => r.status === 200 || r.status === 201)).toBe(true);
    const parent = (await call("GET", "/v1/znodes/mix?view=stat")).body.stat;
    expect(parent).toMatchObject({ numChildren: 4 * n, cversion: 4 * n, version: n });
  });
});
