import { afterAll, beforeAll, expect, test } from "vitest";
import { connect, NoNodeError, type ZkClient } from "zk-etcd/client";
import { startEtcd, type EtcdServer } from "../support/etcd-server.js";
import { startHttpService, type HttpService } from "../support/http-service.js";

let etcd: EtcdServer;
let svc: HttpService;
let zk: ZkClient;
beforeAll(async () => {
  etcd = await startEtcd();
  svc = await startHttpService(etcd.endpoint);
  zk = await connect({ url: svc.url, sessionTimeoutMs: 4000 });
});
afterAll(async () => {
  await zk?.close();
  await svc?.close();
  await etcd?.stop();
});

test("smoke", async () => {
  const c = await zk.create("/a", { data: "hi" });
  expect(c.path).toBe("/a");
  expect((await zk.getText("/a"))).toBe("hi");
  await zk.create("/a/e", { mode: "ephemeral" });
  expect(await zk.getEphemerals()).toEqual(["/a/e"]);
  const w = await zk.getData("/a", { watch: true });
  await zk.setData("/a", "x");
  expect((await w.watch).type).toBe("NodeDataChanged");
  await expect(zk.getData("/nope")).rejects.toBeInstanceOf(NoNodeError);
});
