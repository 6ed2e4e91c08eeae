// The recipes under workerd (Miniflare), as a Worker would use them: a Worker
// waits for a lock a Node client holds, and neither holding overlaps the
// other in zxid order; its counter and queue calls see the Node client's.
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, expect, test } from "vitest";
import { DistributedCounter, Lock, Queue } from "../../recipes/index.js";
import { bundleForWorkerd, COMPATIBILITY_DATE } from "../support/worker.js";
import { servicePerFile, until } from "./harness.js";
import { expectNoOverlap, type Holding } from "./overlap.js";

const h = servicePerFile();
let script: string;
let mf: Miniflare | undefined;

beforeAll(async () => {
  script = await bundleForWorkerd(new URL("./worker-entry.ts", import.meta.url).pathname);
});

afterAll(async () => {
  await mf?.dispose();
});

test("a Worker waits for a lock held from Node, then counts and takes a queue item", { timeout: 120_000 }, async () => {
  const zk = await h.client();
  await zk.create("/w/log", { parents: true });
  const hold = await new Lock(zk, "/w/lock").acquire();
  const node: Holding = { who: "node", zxids: [(await zk.setData("/w/log", "node")).mzxid] };
  await new DistributedCounter(zk, "/w/counter").add(2);
  mf = new Miniflare({ modules: true, script, compatibilityDate: COMPATIBILITY_DATE, bindings: { SERVICE_URL: h.url() } });
  const answer = mf.dispatchFetch("http://worker.test/").then((r) => r.json() as Promise<any>);
  await until("the Worker queues for the lock", async () => (await new Lock(zk, "/w/lock").contenders()).length === 2);
  node.zxids.push((await zk.setData("/w/log", "node")).mzxid);
  await hold.release();
  await new Queue(zk, "/w/queue").put("for the worker");
  const body = await answer;
  const worker: Holding = { who: "worker", zxids: body.zxids.map(BigInt) };
  expectNoOverlap([node, worker], 2);
  expect(BigInt(body.czxid) > hold.czxid).toBe(true);
  expect(body).toMatchObject({ lost: false, counter: "7", item: "for the worker" });
});
