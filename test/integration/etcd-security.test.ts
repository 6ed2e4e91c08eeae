// The service against a secured etcd, through both transports: TLS with
// client certificates; and, over TLS without them (as a Worker would reach a
// publicly trusted etcd), authentication whose tokens expire (--auth-token-ttl)
// with a user whose role covers nothing but the service's own prefix. A
// refused password or certificate must be a 503 with Retry-After and one clear
// log line, and the service must recover once etcd accepts it; the Node server
// itself must keep running meanwhile.
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { Ctx } from "../../lib/context.js";
import { prefixEnd, type Etcd } from "../../lib/etcd/types.js";
import { runMaintenance } from "../../lib/maintenance.js";
import { makeCertificates, tlsFetch, type TestCertificates } from "../support/certificates.js";
import { addPrefixUser, enableAuth, startEtcd, tokensExpired, type EtcdServer } from "../support/etcd-server.js";
import { freePort, spawnTracked } from "../support/process.js";
import { etcdClient, service, TRANSPORTS, type EtcdClientExtras, type Transport } from "../support/service.js";
import { sessionLifecycle, until, znodeBasics } from "../support/smoke.js";

const ROOT_PASSWORD = "root-secret";
const ROOT = `root:${ROOT_PASSWORD}`;
// Sessions of 2 s (the smoke test's) must be allowed.
const VARS = { ZK_MIN_SESSION_TIMEOUT_MS: "1000" };

let certs: TestCertificates;
let rogue: TestCertificates;
let tlsEtcd: EtcdServer;
let authEtcd: EtcdServer;
const clients: Etcd[] = [];

beforeAll(async () => {
  [certs, rogue] = await Promise.all([makeCertificates(), makeCertificates()]);
  [tlsEtcd, authEtcd] = await Promise.all([startEtcd({ tls: certs }), startEtcd({ tls: certs, clientCertAuth: false, authTokenTtlSeconds: 2 })]);
  await enableAuth(authEtcd, ROOT_PASSWORD);
}, 60_000);

afterAll(async () => {
  for (const c of clients) await c.close();
  await Promise.all([tlsEtcd?.stop(), authEtcd?.stop()]);
  await Promise.all([certs?.remove(), rogue?.remove()]);
});

function client(transport: Transport, server: EtcdServer, extras: EtcdClientExtras): Etcd {
  const etcd = etcdClient(transport, [server.endpoint], 5000, extras);
  clients.push(etcd);
  return etcd;
}

/** The client settings for a TLS etcd: the gRPC transport takes PEM bytes; the gateway a fetch that trusts and presents them. */
function tlsExtras(transport: Transport, tls: { ca: string; cert?: string; key?: string }): EtcdClientExtras {
  const enc = (s?: string) => (s === undefined ? undefined : new TextEncoder().encode(s));
  return transport === "grpc" ? { tls: { ca: enc(tls.ca), cert: enc(tls.cert), key: enc(tls.key) } } : { fetch: tlsFetch(tls) };
}

let users = 0;
/** A fresh prefix and a user whose role may read and write exactly that prefix. */
async function restrictedUser(): Promise<{ prefix: string; user: string; password: string }> {
  const n = ++users;
  const prefix = `zk-${process.pid}-${n}/`;
  const user = `zk${n}`;
  const password = `pw-${n}`;
  await addPrefixUser(authEtcd, ROOT, user, password, prefix);
  return { prefix, user, password };
}

describe.each(TRANSPORTS)("TLS with client certificates, %s transport", (transport) => {
  test("the service works through it", async () => {
    const etcd = client(transport, tlsEtcd, tlsExtras(transport, { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey }));
    const svc = service(etcd, VARS);
    expect(tlsEtcd.endpoint).toMatch(/^https:/);
    await znodeBasics(svc.call, "/tls");
    await sessionLifecycle(svc.call, "/tls-session");
    expect((await svc.call("GET", "/healthz")).status).toBe(200);
  });

  test("a missing or untrusted client certificate, or an untrusted server, is 503 with one log line", async () => {
    for (const [what, tls] of [
      ["no client certificate", { ca: certs.ca }],
      ["a client certificate of another CA", { ca: certs.ca, cert: rogue.clientCert, key: rogue.clientKey }],
      ["a server certificate of an untrusted CA", { ca: rogue.ca, cert: certs.clientCert, key: certs.clientKey }],
    ] as const) {
      const lines: string[] = [];
      const etcd = client(transport, tlsEtcd, { ...tlsExtras(transport, tls), log: (line) => lines.push(line) });
      const svc = service(etcd, VARS);
      for (const path of ["/healthz", "/v1/znodes/", "/healthz"]) {
        const res = await svc.call("GET", path);
        expect(res.status, what).toBe(503);
        expect(res.headers.get("retry-after"), what).toBe("1");
        // /healthz says no more than up or down.
        if (path !== "/healthz") expect(res.body.code, what).toBe("CONNECTIONLOSS");
      }
      expect(lines, what).toHaveLength(1);
      expect(lines[0], what).toMatch(/^etcd: unavailable, requests answer 503 until this is resolved: .*https:\/\/127\.0\.0\.1/);
    }
  });
});

describe.each(TRANSPORTS)("authentication, %s transport", (transport) => {
  test("a user limited to the prefix runs every kind of request, the scheduled job and the admin routes", async () => {
    const { prefix, user, password } = await restrictedUser();
    const lines: string[] = [];
    const etcd = client(transport, authEtcd, { ...tlsExtras(transport, { ca: certs.ca }), auth: { user, password }, log: (line) => lines.push(line) });
    const svc = service(etcd, { ...VARS, ZK_PREFIX: prefix });
    expect(authEtcd.endpoint).toMatch(/^https:/);
    await znodeBasics(svc.call, "/auth");
    await sessionLifecycle(svc.call, "/auth-session");
    // A container that had a child: the scheduled clean-up's to delete.
    expect((await svc.call("POST", "/v1/znodes/c", { json: { mode: "container" } })).status).toBe(201);
    expect((await svc.call("POST", "/v1/znodes/c/x")).status).toBe(201);
    expect((await svc.call("DELETE", "/v1/znodes/c/x")).status).toBe(204);
    expect((await svc.call("POST", "/v1/sync/auth")).status).toBe(200);
    expect((await svc.call("GET", "/v1/stats")).status).toBe(200);
    expect((await svc.call("GET", "/healthz")).status).toBe(200);
    const summary = await runMaintenance(new Ctx(etcd, svc.config));
    expect(summary.scanned).toBeGreaterThan(0);
    // The emptied container went: the clean-up read and wrote within the prefix.
    expect((await svc.call("GET", "/v1/znodes/c?view=stat")).status).toBe(404);
    expect(lines).toEqual([]);
    // And the role does fence it in: a key outside the prefix is refused.
    const outside = await etcd.txn({ success: [{ range: { key: "elsewhere/x" } }] }).catch((e: Error) => e);
    expect(String(outside)).toMatch(/permission denied/);
  });

  test("expired tokens are renewed: a watch, a keepalive and a request each first after expiry", async () => {
    const { prefix, user, password } = await restrictedUser();
    let authentications = 0;
    const trusting = tlsFetch({ ca: certs.ca });
    const counting: typeof fetch = (input, init) => {
      if (String(input).endsWith("/v3/auth/authenticate")) authentications++;
      return trusting(input, init);
    };
    const etcd = client(transport, authEtcd, { ...tlsExtras(transport, { ca: certs.ca }), auth: { user, password }, fetch: counting });
    const svc = service(etcd, { ...VARS, ZK_PREFIX: prefix });
    await svc.call("POST", "/v1/znodes/w", { json: { data: "" } });
    const lease = await etcd.leaseGrant(60);
    const from = (await svc.call("GET", "/v1/znodes/w")).zxid;

    await tokensExpired(authEtcd, user, password);
    // A watch stream from a past revision of the prefix has events at once.
    const abort = new AbortController();
    const stream = etcd.watch([{ key: prefix, rangeEnd: prefixEnd(prefix) }], 1n, abort.signal)[Symbol.asyncIterator]();
    const first = await stream.next();
    abort.abort();
    await stream.return?.(undefined);
    expect(first.done).toBe(false);
    expect(first.value!.length).toBeGreaterThan(0);

    await tokensExpired(authEtcd, user, password);
    expect(await etcd.leaseKeepAlive(lease)).toEqual({ ttlSeconds: 60 });

    await tokensExpired(authEtcd, user, password);
    const set = await svc.call("PUT", "/v1/znodes/w", { json: { data: Buffer.from("x").toString("base64") } });
    expect(set.status).toBe(200);
    const event = await svc.call("GET", `/v1/watch/w?type=data&zxid=${from}&timeoutMs=20000`);
    expect(event.body).toEqual({ type: "NodeDataChanged", path: "/w", zxid: String(set.zxid) });
    expect(await etcd.leaseRevoke(lease)).toBe(true);
    // The gateway transport fetched a token at first, for the watch and for the write
    // (etcd 3.4 asks none of a keepalive, so that one went through with the stale token).
    if (transport === "gateway") expect(authentications).toBeGreaterThanOrEqual(3);
  }, 90_000);

  test("an unknown user is 503 with one log line until etcd knows it, then the service recovers", async () => {
    const n = ++users;
    const [prefix, user, password] = [`zk-${process.pid}-${n}/`, `late${n}`, `pw-${n}`];
    const lines: string[] = [];
    const etcd = client(transport, authEtcd, { ...tlsExtras(transport, { ca: certs.ca }), auth: { user, password }, log: (line) => lines.push(line) });
    const svc = service(etcd, { ...VARS, ZK_PREFIX: prefix });
    for (const [method, path] of [["GET", "/healthz"], ["POST", "/v1/znodes/a"], ["GET", "/healthz"]] as const) {
      const res = await svc.call(method, path);
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).toBe("1");
      if (path !== "/healthz") {
        expect(res.body).toMatchObject({ code: "CONNECTIONLOSS" });
        expect(res.body.message).toMatch(/etcd refused the service's credentials .*authentication failed/);
      }
    }
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^etcd: unavailable, .*authentication failed, invalid user ID or password/);

    await addPrefixUser(authEtcd, ROOT, user, password, prefix);
    await until("the service to accept the new user", async () => (await svc.call("GET", "/healthz")).status === 200);
    expect((await svc.call("POST", "/v1/znodes/a")).status).toBe(201);
    expect(lines).toEqual([lines[0], "etcd: calls succeed again"]);
  });
});

/** `npm run serve`'s entry, as a child process with these variables. */
async function nodeServer(env: Record<string, string>) {
  const port = await freePort();
  const proc = spawnTracked(process.execPath, ["--import", "tsx", "functions/node.ts"], {
    cwd: fileURLToPath(new URL("../..", import.meta.url)),
    env: { ...process.env, ...env, PORT: String(port), ZK_ALLOW_ANONYMOUS: "true" },
  });
  const base = `http://127.0.0.1:${port}`;
  await until("the Node server to listen", async () => {
    if (proc.exited()) throw new Error(`the Node server exited:\n${proc.output()}`);
    return fetch(`${base}/healthz`).then(() => true, () => false);
  });
  return { base, proc };
}

describe("the Node server", () => {
  test("reaches etcd over TLS with ETCD_CA_FILE, ETCD_CERT_FILE and ETCD_KEY_FILE", async () => {
    const { base, proc } = await nodeServer({
      ETCD_ENDPOINTS: tlsEtcd.endpoint,
      ETCD_CA_FILE: certs.caFile,
      ETCD_CERT_FILE: certs.clientCertFile,
      ETCD_KEY_FILE: certs.clientKeyFile,
      ZK_PREFIX: `node-tls-${process.pid}/`,
    });
    try {
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      const created = await fetch(`${base}/v1/znodes/over-tls`, { method: "POST" });
      expect(created.status).toBe(201);
      expect(((await created.json()) as { path: string }).path).toBe("/over-tls");
    } finally {
      await proc.stop();
    }
  });

  test("with a wrong password it keeps running, answers 503, logs why once, and recovers when the user exists", async () => {
    const n = ++users;
    const [prefix, user, password] = [`node-auth-${process.pid}/`, `node${n}`, `pw-${n}`];
    // Server TLS only: the CA file alone.
    const { base, proc } = await nodeServer({ ETCD_ENDPOINTS: authEtcd.endpoint, ETCD_CA_FILE: certs.caFile, ETCD_USER: user, ETCD_PASSWORD: password, ZK_PREFIX: prefix });
    try {
      for (const path of ["/healthz", "/v1/znodes/", "/healthz"]) {
        const res = await fetch(`${base}${path}`);
        expect(res.status).toBe(503);
        expect(res.headers.get("retry-after")).toBe("1");
        const body = (await res.json()) as { code: string; message: string };
        if (path !== "/healthz") expect(body.message).toMatch(/etcd refused the service's credentials .*authentication failed/);
      }
      const logged = proc.output().split("\n").filter((l) => l.startsWith("etcd: "));
      expect(logged).toHaveLength(1);
      expect(logged[0]).toMatch(/authentication failed, invalid user ID or password/);
      // Probes of /healthz during the outage say it once too.
      expect(proc.output().split("\n").filter((l) => l.startsWith("healthz: "))).toHaveLength(1);
      await addPrefixUser(authEtcd, ROOT, user, password, prefix);
      await until("the Node server to accept the new user", async () => (await fetch(`${base}/healthz`)).status === 200);
      expect(proc.output().split("\n").filter((l) => l.startsWith("healthz: "))).toEqual([expect.stringMatching(/^healthz: down: /), "healthz: up again"]);
      expect((await fetch(`${base}/v1/znodes/a`, { method: "POST" })).status).toBe(201);
      expect(proc.exited()).toBe(false);
      expect(proc.output()).toContain("etcd: calls succeed again");
    } finally {
      await proc.stop();
    }
  });

  test("stops at start, naming the variable, when a TLS file cannot be read or a certificate comes without its key", async () => {
    const exits = async (env: Record<string, string>) => {
      const proc = spawnTracked(process.execPath, ["--import", "tsx", "functions/node.ts"], {
        cwd: fileURLToPath(new URL("../..", import.meta.url)),
        env: { ...process.env, ETCD_ENDPOINTS: tlsEtcd.endpoint, PORT: String(await freePort()), ...env },
      });
      // "close", not "exit": by then its output has been read.
      const code = await new Promise<number | null>((resolve) => proc.child.once("close", (c) => resolve(c)));
      return { code, output: proc.output() };
    };
    const missing = `${certs.caFile}.missing`;
    const unreadable = await exits({ ETCD_CA_FILE: missing });
    expect(unreadable.code).toBe(1);
    expect(unreadable.output).toContain(`ETCD_CA_FILE=${missing}: ENOENT`);
    const lone = await exits({ ETCD_CA_FILE: certs.caFile, ETCD_CERT_FILE: certs.clientCertFile });
    expect(lone.code).toBe(1);
    expect(lone.output).toContain("ETCD_CERT_FILE and ETCD_KEY_FILE go together");
  });
});
