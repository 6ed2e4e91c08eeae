// A 3-member etcd cluster losing members under load: the service fails over
// while a quorum stands, answers 503 with Retry-After when none does, recovers
// when members return, and never loses a write it acknowledged.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Etcd } from "../../lib/etcd/types.js";
import { startEtcdCluster, type EtcdCluster } from "../support/etcd-server.js";
import { b64, etcdClient, service, TRANSPORTS } from "../support/service.js";

let cluster: EtcdCluster;
beforeAll(async () => {
  cluster = await startEtcdCluster(3);
});
afterAll(async () => {
  await cluster?.stop();
});

describe.each(TRANSPORTS)("etcd cluster faults over %s", (transport) => {
  let etcd: Etcd;
  afterAll(async () => {
    await etcd?.close();
  });

  test("fail over, refuse without quorum, recover, lose nothing acknowledged", async () => {
    etcd = etcdClient(transport, cluster.endpoints, 1500);
    const { call } = service(etcd);
    const acked = new Set<string>();
    let unavailable = 0;
    const write = async (name: string) => {
      const r = await call("POST", `/v1/znodes/${name}`);
      if (r.status === 201) acked.add(`/${name}`);
      else {
        // A write whose outcome etcd did not report is a 503, never a wrong answer.
        expect(r.status).toBe(503);
        expect(r.headers.get("retry-after")).toBe("1");
        unavailable++;
      }
    };

    for (let i = 0; i < 10; i++) await write(`before${i}`);
    await cluster.members[0]!.stop();
    for (let i = 0; i < 20; i++) await write(`one-down${i}`);
    // With two of three members up, the first member's loss costs at most the write in flight.
    expect(unavailable).toBeLessThanOrEqual(1);
    expect([...acked].filter((p) => p.startsWith("/one-down")).length).toBeGreaterThanOrEqual(19);

    await cluster.members[1]!.stop();
    const noQuorum = await call("GET", "/v1/znodes/before0");
    expect([noQuorum.status, noQuorum.body.code]).toEqual([503, "CONNECTIONLOSS"]);
    expect((await call("GET", "/healthz")).status).toBe(503);
    // Its outcome is unknown (etcd may still commit the proposal later), so only the status is checked.
    const refused = await call("POST", "/v1/znodes/no-quorum");
    expect(refused.status).toBe(503);

    await Promise.all([cluster.members[0]!.start(), cluster.members[1]!.start()]);
    for (let i = 0; i < 10; i++) await write(`after${i}`);
    const children = new Set<string>((await call("GET", "/v1/znodes/?view=children")).body.children.map((c: string) => `/${c}`));
    for (const p of acked) expect(children.has(p), p).toBe(true);
    expect((await call("GET", "/healthz")).status).toBe(200);
  });

  test("a waiting watch poll and an event stream carry on from another member when theirs goes", async () => {
    const watching = etcdClient(transport, cluster.endpoints, 1500);
    try {
      const { app, call } = service(watching);
      await call("POST", "/v1/znodes/w");
      const read = await call("GET", "/v1/znodes/w");
      const poll = call("GET", `/v1/watch/w?type=data&zxid=${read.zxid}&timeoutMs=20000`);
      const stream = Promise.resolve(app.request(`http://localhost/v1/events/w?zxid=${read.zxid}&timeoutMs=5000`)).then((r) => r.text());
      await new Promise((r) => setTimeout(r, 300));
      // Watch streams start on the first endpoint: this is the member both are on.
      await cluster.members[0]!.stop();
      const set = await call("PUT", "/v1/znodes/w", { json: { data: b64("x") } });
      expect(set.status).toBe(200);
      expect((await poll).body).toEqual({ type: "NodeDataChanged", path: "/w", zxid: set.body.stat.mzxid });
      expect(await stream).toContain(`data: {"type":"NodeDataChanged","path":"/w","zxid":"${set.body.stat.mzxid}"}`);
    } finally {
      await cluster.members[0]!.start();
      await watching.close();
    }
  });
});
