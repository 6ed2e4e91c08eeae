// The floor under the service's HTTP path, for `npm run bench -- --floor`: a
// bare node:http server that answers each request with exactly raw etcd's
// call for that op (raw-etcd.ts) and nothing else: no routing library, no
// validation, no ZooKeeper semantics. What it costs beside raw etcd is what
// any HTTP layer in its own process costs on this machine before doing any
// work of its own: a layer that sends one etcd call per request cannot be
// cheaper (the service's reads can, by sharing etcd calls between requests).
//
//   ETCD_ENDPOINT=http://127.0.0.1:2379 CLIENTS=16 tsx scripts/bench-floor.ts
//
// POST /setup prepares the keys; POST /op/<name>/<client> runs one op (the
// request body, JSON, is read and parsed as an API would) and answers 200
// {"ok":true}, or 200 "exhausted" when delete has nothing left; errors are 500.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { OPS, rawEtcdClient, rawEtcdOps, type OpName } from "./raw-etcd.js";

const endpoint = process.env.ETCD_ENDPOINT;
if (!endpoint) throw new Error("ETCD_ENDPOINT is required");
const client = rawEtcdClient(endpoint);
const raw = rawEtcdOps(client, Number(process.env.CLIENTS ?? "16"), "bench-floor");
const OK = Buffer.from('{"ok":true}');
const EXHAUSTED = Buffer.from("exhausted");

/** The answer's body, or null for an unknown route. */
async function handle(url: string, body: string): Promise<Buffer | null> {
  if (body) JSON.parse(body);
  if (url === "/setup") {
    await raw.setup();
    return OK;
  }
  const [, kind, name, c] = url.split("/");
  if (kind !== "op" || !(OPS as readonly string[]).includes(name!)) return null;
  return (await raw.ops[name as OpName](Number(c))) === "exhausted" ? EXHAUSTED : OK;
}

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (d: Buffer) => chunks.push(d));
  req.on("end", () => {
    handle(req.url ?? "/", Buffer.concat(chunks).toString()).then(
      (answer) => {
        if (answer === null) res.writeHead(404).end();
        else res.writeHead(200, { "content-type": "application/json", "content-length": answer.length }).end(answer);
      },
      (e: Error) => res.writeHead(500, { "content-type": "text/plain" }).end(e.message),
    );
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => {
  console.log(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});
const stop = () => server.close(() => void client.close());
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
