// `npm run bench:watch -- [--rounds 200] [--pollers 1000]`: how long a watcher
// waits to hear of a change, here and in a real ZooKeeper 3.8 on this machine,
// in this run; and how many etcd watchers `--pollers` idle polls on one znode
// hold, with polls sharing etcd watches and without. Reports only; asserts
// nothing.
//
// Each round changes one znode's data and times, from the moment the write is
// sent until the watcher has the event:
//   zookeeper   getData with a watcher (node-zookeeper-client), then setData;
//   waiting     a /v1/watch poll already waiting when the setData comes;
//   history     the poll sent after the setData answered (the event is found
//               in etcd's history), timed from the poll;
//   stream      a /v1/events stream open before the setData.
// The service runs in this process on the gRPC transport (app.request, no
// socket), against its own etcd.
import { createRequire } from "node:module";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { createGrpcEtcd } from "../lib/etcd/grpc.js";
import { startEtcd } from "../test/support/etcd-server.js";
import { service } from "../test/support/service.js";
import { startZooKeeper } from "../test/support/zookeeper-server.js";

const { values } = parseArgs({ options: { rounds: { type: "string", default: "200" }, pollers: { type: "string", default: "1000" } } });
const rounds = Number(values.rounds);
if (!Number.isSafeInteger(rounds) || rounds < 1) throw new Error(`--rounds must be a positive integer, not ${values.rounds}`);
const pollers = Number(values.pollers);
if (!Number.isSafeInteger(pollers) || pollers < 1) throw new Error(`--pollers must be a positive integer, not ${values.pollers}`);

/** etcd's own count of its watchers (its /metrics). */
async function etcdWatchers(endpoint: string): Promise<number> {
  const text = await (await fetch(`${endpoint}/metrics`)).text();
  const m = /^etcd_debugging_mvcc_watcher_total (\S+)$/m.exec(text);
  return m ? Number(m[1]) : NaN;
}

type ZkCallback<T> = (error: Error | null, result: T) => void;
interface ZkClient {
  connect(): void;
  close(): void;
  once(event: "connected", listener: () => void): void;
  create(path: string, data: Buffer, callback: ZkCallback<string>): void;
  getData(path: string, watcher: (event: unknown) => void, callback: ZkCallback<Buffer>): void;
  setData(path: string, data: Buffer, version: number, callback: ZkCallback<unknown>): void;
}
const zookeeper = createRequire(import.meta.url)("node-zookeeper-client") as { createClient(cs: string, o?: object): ZkClient };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const b64 = (s: string) => Buffer.from(s).toString("base64");
const call = <T>(f: (cb: ZkCallback<T>) => void) => new Promise<T>((resolve, reject) => f((e, r) => (e ? reject(e) : resolve(r))));

function summary(ms: number[]) {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return { p50: at(0.5), p99: at(0.99) };
}

const [etcdServer, zkServer] = await Promise.all([startEtcd(), startZooKeeper({ extraConfig: { forceSync: "yes" } })]);
const etcd = createGrpcEtcd({ endpoints: [etcdServer.endpoint] });
const zk = zookeeper.createClient(zkServer.connectString, { sessionTimeout: 30_000, retries: 0 });
try {
  zk.connect();
  await new Promise<void>((r) => zk.once("connected", r));
  await call<string>((cb) => zk.create("/w", Buffer.from("0"), cb));
  const svc = service(etcd);
  await svc.call("POST", "/v1/znodes/w");

  const times: Record<"zookeeper" | "waiting" | "history" | "stream", number[]> = { zookeeper: [], waiting: [], history: [], stream: [] };
  const set = (i: number) => svc.call("PUT", "/v1/znodes/w", { json: { data: b64(String(i)) } });

  for (let i = 0; i < rounds; i++) {
    let fired!: () => void;
    const heard = new Promise<void>((r) => (fired = r));
    await call<Buffer>((cb) => zk.getData("/w", () => fired(), cb));
    const t0 = performance.now();
    zk.setData("/w", Buffer.from(String(i)), -1, () => undefined);
    await heard;
    times.zookeeper.push(performance.now() - t0);
  }

  for (let i = 0; i < rounds; i++) {
    const read = await svc.call("GET", "/v1/znodes/w");
    const poll = svc.call("GET", `/v1/watch/w?type=data&zxid=${read.zxid}&timeoutMs=10000`);
    await sleep(20); // the poll is waiting on etcd by now
    const t0 = performance.now();
    void set(i);
    if ((await poll).status !== 200) throw new Error("waiting poll: no event");
    times.waiting.push(performance.now() - t0);
  }

  for (let i = 0; i < rounds; i++) {
    const read = await svc.call("GET", "/v1/znodes/w");
    await set(i);
    const t0 = performance.now();
    if ((await svc.call("GET", `/v1/watch/w?type=data&zxid=${read.zxid}&timeoutMs=10000`)).status !== 200) throw new Error("history poll: no event");
    times.history.push(performance.now() - t0);
  }

  const res = await svc.app.request("http://localhost/v1/events/w?timeoutMs=60000");
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  const nextEvent = async () => {
    for (;;) {
      const at = buffered.indexOf("data: ");
      const end = buffered.indexOf("\n\n", at);
      if (at >= 0 && end >= 0) {
        buffered = buffered.slice(end + 2);
        return;
      }
      const { value, done } = await reader.read();
      if (done) throw new Error("the event stream ended");
      buffered += value;
    }
  };
  await sleep(100);
  for (let i = 0; i < Math.min(rounds, 200); i++) {
    const t0 = performance.now();
    void set(i);
    await nextEvent();
    times.stream.push(performance.now() - t0);
  }
  await reader.cancel();

  // Idle pollers on one znode, through a client that shares etcd watches (the
  // default) and through one that does not.
  const idle: Record<string, number> = {};
  for (const share of [false, true]) {
    const client = createGrpcEtcd({ endpoints: [etcdServer.endpoint], shareWatches: share });
    // Every poller is one caller (this address): the wait bounds must let them all in.
    const bounds = { ZK_MAX_WAITS_PER_CALLER: String(pollers), ZK_MAX_WAITS: String(pollers) };
    const other = service(client, { ZK_PREFIX: svc.prefix, ...bounds });
    const read = await other.call("GET", "/v1/znodes/w");
    const polls = Array.from({ length: pollers }, () => other.call("GET", `/v1/watch/w?type=data&zxid=${read.zxid}&timeoutMs=30000`));
    await sleep(1000);
    idle[share ? "shared" : "one each"] = await etcdWatchers(etcdServer.endpoint);
    await set(0);
    const answered = (await Promise.all(polls)).filter((r) => r.status === 200).length;
    if (answered !== pollers) throw new Error(`idle pollers: ${answered} of ${pollers} heard the change`);
    await client.close();
  }

  const stats = (await svc.call("GET", "/v1/stats")).body.operations;
  const zkP50 = summary(times.zookeeper).p50;
  console.log(`watch event latency, ${rounds} rounds each (ms; ratio of p50s to ZooKeeper's in this run):`);
  for (const [name, ms] of Object.entries(times)) {
    const { p50, p99 } = summary(ms);
    console.log(`  ${name.padEnd(10)} p50 ${p50.toFixed(2).padStart(7)}  p99 ${p99.toFixed(2).padStart(7)}  ${name === "zookeeper" ? "" : `${(p50 / zkP50).toFixed(1)}x`}`);
  }
  console.log(`  etcd round trips per /v1/watch poll: ${stats.watch?.perOp ?? "-"}`);
  console.log(`etcd watchers while ${pollers} polls wait on one znode: ${idle["one each"]} with a watch each, ${idle.shared} sharing (all ${pollers} heard the change both times)`);
} finally {
  zk.close();
  await etcd.close();
  await Promise.all([etcdServer.stop(), zkServer.stop()]);
}
