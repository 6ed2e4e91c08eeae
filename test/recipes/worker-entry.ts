// A Worker that uses the recipes, for test/recipes/worker.test.ts: bundled
// as wrangler would and run under workerd, it takes the lock a Node client
// holds, writes inside it, adds to a counter and takes a queue item, all
// against the service at SERVICE_URL.
import { connect } from "../../client/index.js";
import { DistributedCounter, Lock, Queue } from "../../recipes/index.js";

export default {
  async fetch(_req: Request, env: { SERVICE_URL: string }): Promise<Response> {
    const zk = await connect({ url: env.SERVICE_URL, sessionTimeoutMs: 6000 });
    try {
      const hold = await new Lock(zk, "/w/lock").acquire({ timeoutMs: 60_000 });
      const first = (await zk.setData("/w/log", "worker")).mzxid;
      const second = (await zk.setData("/w/log", "worker")).mzxid;
      const lost = hold.signal.aborted;
      await hold.release();
      const counted = await new DistributedCounter(zk, "/w/counter").add(5);
      const item = await new Queue(zk, "/w/queue").take({ timeoutMs: 60_000 });
      return Response.json({
        zxids: [first.toString(), second.toString()],
        czxid: hold.czxid.toString(),
        lost,
        counter: counted.after.toString(),
        item: new TextDecoder().decode(item.data),
      });
    } finally {
      await zk.close();
    }
  },
};
