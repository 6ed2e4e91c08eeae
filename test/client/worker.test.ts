// The client unchanged inside workerd (Miniflare): a small Worker imports it
// by package name, bundled as wrangler would bundle it (no Node built-ins
// available), and uses it against the Node server on a real etcd over HTTP.
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, expect, test } from "vitest";
import { ZkClient } from "zk-etcd/client";
import { startEtcd, type EtcdServer } from "../support/etcd-server.js";
import { startHttpService, type HttpService } from "../support/http-service.js";
import { bundleForWorkerd, COMPATIBILITY_DATE } from "../support/worker.js";

let etcd: EtcdServer;
let svc: HttpService;
let mf: Miniflare | undefined;

beforeAll(async () => {
  etcd = await startEtcd();
  svc = await startHttpService(etcd.endpoint);
});

afterAll(async () => {
  await mf?.dispose();
  await svc?.close();
  await etcd?.stop();
});

test("a Worker connects, reads, writes, watches and closes its session with the client", { timeout: 120_000 }, async () => {
  const script = await bundleForWorkerd(new URL("./fixtures/client-worker.ts", import.meta.url).pathname);
  // No Node built-in made it into the bundle: the client needs none.
  expect(script).not.toMatch(/from\s*["']node:|require\(["'](node:)?(buffer|http|net|stream)["']\)/);
  mf = new Miniflare({ modules: true, script, compatibilityDate: COMPATIBILITY_DATE, bindings: { ZK_URL: svc.url } });
  const res = await mf.dispatchFetch("http://worker.test/");
  const text = await res.text();
  expect(res.status, text).toBe(200);
  const r = JSON.parse(text, (_k, v) => (typeof v === "string" && /^-?\d+n$/.test(v) ? BigInt(v.slice(0, -1)) : v));

  expect(r.text).toBe("from a worker");
  expect(r.ephPath).toBe("/wk/e-0000000000");
  expect(r.ephOwner).toBe(r.sessionId);
  expect(r.fired).toEqual({ type: "NodeDataChanged", path: "/wk", zxid: r.setMzxid });
  expect(r.seen).toEqual([
    { type: "NodeCreated", path: "/wk/e-0000000000", zxid: r.setMzxid - 1n },
    { type: "NodeDataChanged", path: "/wk", zxid: r.setMzxid },
    { type: "NodeCreated", path: "/wk/m", zxid: r.multiCreateZxid },
  ]);
  expect(r.missing).toEqual({ isNoNode: true, code: "NONODE", zkCode: -101 });
  expect(r.ephemerals).toEqual(["/wk/e-0000000000"]);
  expect(r.states).toEqual(["connected"]);

  // The Worker closed its session: its ephemeral is gone.
  const observer = new ZkClient({ url: svc.url });
  expect(await observer.exists("/wk/e-0000000000")).toBeNull();
  expect((await observer.getChildren("/wk")).children).toEqual(["m"]);
});
