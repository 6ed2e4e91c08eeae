// The scheduled run: reconciliation nobody's read triggered, container and TTL
// clean-up, and bounded batches with a cursor in etcd.
import { describe, expect, test } from "vitest";
import { Ctx } from "../../lib/context.js";
import { Keys } from "../../lib/keys.js";
import { decodeCounter } from "../../lib/records.js";
import { runMaintenance } from "../../lib/maintenance.js";
import { etcdPerFile } from "../support/suite.js";
import { service, TRANSPORTS } from "../support/service.js";

const etcd = etcdPerFile();

describe.each(TRANSPORTS)("scheduled run over %s", (transport) => {
  const setup = (vars = {}) => {
    const svc = service(etcd.client(transport), { ZK_MIN_SESSION_TIMEOUT_MS: "1000", ...vars });
    const run = () => runMaintenance(new Ctx(etcd.client(transport), svc.config));
    const raw = async (key: string) => {
      const r = (await etcd.client(transport).txn({ success: [{ range: { key } }] })).responses[0]!;
      return "range" in r ? r.range.kvs[0] : undefined;
    };
    return { ...svc, run, raw, keys: new Keys(svc.prefix) };
  };

  async function expireUnder(svc: ReturnType<typeof setup>, parents: string[]): Promise<bigint> {
    const s = (await svc.call("POST", "/v1/sessions", { json: { timeoutMs: 2000 } })).body.id;
    let last = 0n;
    for (const p of parents) {
      const r = await svc.call("POST", `/v1/znodes${p}/e`, { json: { mode: "ephemeral" }, headers: { "zk-session": s } });
      expect(r.status).toBe(201);
      last = r.zxid;
    }
    const deadline = Date.now() + 20_000;
    while ((await svc.call("GET", `/v1/sessions/${s}`)).status !== 410) {
      if (Date.now() > deadline) throw new Error("session did not expire");
      await new Promise((r) => setTimeout(r, 200));
    }
    return last + 1n;
  }

  test("reconciles parents nobody reads; the next read has nothing left to do", async () => {
    const svc = setup();
    await svc.call("POST", "/v1/znodes/p");
    const expiry = await expireUnder(svc, ["/p"]);
    const summary = await svc.run();
    expect(summary).toMatchObject({ scanned: 1, reconciled: 1, deleted: 0 });
    // Stored state, read straight from etcd: the elist entry is gone and the
    // parent's deletions counter carries the expiry's zxid.
    expect(await svc.raw(svc.keys.elistEntry("/p/e"))).toBeUndefined();
    expect(decodeCounter((await svc.raw(svc.keys.deletions("/p")))!.value).pzxid).toBe(expiry);
    const before = (await svc.call("GET", "/v1/stats")).body.nonZooKeeperWrites;
    expect((await svc.call("GET", "/v1/znodes/p?view=stat")).body.stat).toMatchObject({ pzxid: String(expiry), cversion: 2, numChildren: 0 });
    expect((await svc.call("GET", "/v1/stats")).body.nonZooKeeperWrites).toBe(before);
    expect(await svc.run()).toMatchObject({ scanned: 0, reconciled: 0 });
  });

  test("removes containers that had a child and TTL nodes past their TTL, and nothing else", async () => {
    const svc = setup();
    const { call } = svc;
    await call("POST", "/v1/znodes/used", { json: { mode: "container" } });
    await call("POST", "/v1/znodes/used/x");
    await call("DELETE", "/v1/znodes/used/x");
    await call("POST", "/v1/znodes/unused", { json: { mode: "container" } });
    await call("POST", "/v1/znodes/busy", { json: { mode: "container" } });
    await call("POST", "/v1/znodes/busy/x");
    await call("POST", "/v1/znodes/short", { json: { mode: "persistent_with_ttl", ttlMs: 1 } });
    await call("POST", "/v1/znodes/long", { json: { mode: "persistent_with_ttl", ttlMs: 3_600_000 } });
    await call("POST", "/v1/znodes/parent", { json: { mode: "persistent_with_ttl", ttlMs: 1 } });
    await call("POST", "/v1/znodes/parent/x");
    await new Promise((r) => setTimeout(r, 20));
    const before = (await call("GET", "/v1/znodes/")).zxid;
    const summary = await svc.run();
    expect(summary.deleted).toBe(2);
    for (const [p, status] of [["/used", 404], ["/short", 404], ["/unused", 200], ["/busy", 200], ["/long", 200], ["/parent", 200]] as const) {
      expect([p, (await call("GET", `/v1/znodes${p}?view=stat`)).status]).toEqual([p, status]);
    }
    // Each removal is a ZooKeeper txn (deleteContainer): one zxid each.
    expect((await call("GET", "/v1/znodes/")).zxid).toBe(before + 2n);
  });

  test("works in bounded batches, resuming from a cursor kept in etcd", async () => {
    const svc = setup({ ZK_SCHEDULE_BATCH: "2" });
    const parents = ["/a", "/b", "/c", "/d", "/e"];
    for (const p of parents) await svc.call("POST", `/v1/znodes${p}`);
    await expireUnder(svc, parents);
    const runs = [await svc.run(), await svc.run(), await svc.run()];
    expect(runs.map((r) => r.scanned)).toEqual([2, 2, 1]);
    expect(runs.reduce((n, r) => n + r.reconciled, 0)).toBe(5);
    for (const p of parents) expect(await svc.raw(svc.keys.elistEntry(`${p}/e`))).toBeUndefined();
    // The third run reached the end: the cursor starts over.
    expect(JSON.parse(Buffer.from((await svc.raw(svc.keys.cursor()))!.value).toString())).toEqual({ ephemerals: "", expiring: "" });
  });
});
