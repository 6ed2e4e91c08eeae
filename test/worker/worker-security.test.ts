// The Worker build under workerd (Miniflare) against a secured etcd: over
// HTTPS with etcd authentication (tokens that expire, a role limited to the
// prefix), and over TLS with a client certificate presented through an
// ETCD_MTLS binding.
//
// What stands in for Cloudflare here: the Worker's own fetch goes out through a
// workerd network service that trusts the test CA, where Cloudflare would
// trust a publicly issued server certificate; the binding is such a network
// service whose TLS options also carry the client certificate, which is what
// an `[[mtls_certificates]]` binding is to a deployed Worker (a Fetcher that
// presents the uploaded certificate).
import { Miniflare } from "miniflare";
import type { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { makeCertificates, type TestCertificates } from "../support/certificates.js";
import { addPrefixUser, enableAuth, startEtcd, tokensExpired, type EtcdServer } from "../support/etcd-server.js";
import { sessionLifecycle, until, znodeBasics, type SmokeCall } from "../support/smoke.js";
import { bundleWorker, COMPATIBILITY_DATE } from "../support/worker.js";

const ROOT_PASSWORD = "root-secret";
const ROOT = `root:${ROOT_PASSWORD}`;

let certs: TestCertificates;
let tlsEtcd: EtcdServer;
let authEtcd: EtcdServer;
let script: string;
const workers: Miniflare[] = [];

beforeAll(async () => {
  certs = await makeCertificates();
  [tlsEtcd, authEtcd, script] = await Promise.all([startEtcd({ tls: certs }), startEtcd({ tls: certs, clientCertAuth: false, authTokenTtlSeconds: 2 }), bundleWorker()]);
  await enableAuth(authEtcd, ROOT_PASSWORD);
}, 60_000);

afterAll(async () => {
  for (const mf of workers) await mf.dispose();
  await Promise.all([tlsEtcd?.stop(), authEtcd?.stop()]);
  await certs?.remove();
});

type Options = ConstructorParameters<typeof Miniflare>[0];

/** A workerd network service to loopback that trusts the test CA, presenting the client certificate or not. */
const network = (withClientCertificate: boolean) => ({
  network: {
    allow: ["127.0.0.1/32"],
    tlsOptions: {
      trustedCertificates: [certs.ca],
      ...(withClientCertificate ? { keypair: { privateKey: certs.clientKey, certificateChain: certs.clientCert } } : {}),
    },
  },
});

function worker(bindings: Record<string, string>, extra: Partial<Options> = {}): Miniflare {
  const mf = new Miniflare({
    modules: true,
    script,
    compatibilityDate: COMPATIBILITY_DATE,
    bindings: { ZK_ALLOW_ANONYMOUS: "true", ZK_MIN_SESSION_TIMEOUT_MS: "1000", ...bindings },
    // workerd logs the gateway's sacrificial requests (gateway.ts) as failures.
    handleRuntimeStdio: (stdout: Readable, stderr: Readable) => {
      stdout.resume();
      stderr.resume();
    },
    ...extra,
  } as Options);
  workers.push(mf);
  return mf;
}

function caller(mf: Miniflare): SmokeCall {
  return async (method, path, init = {}) => {
    const headers: Record<string, string> = { ...init.headers };
    let body: string | undefined;
    if (init.json !== undefined) {
      body = JSON.stringify(init.json);
      headers["content-type"] = "application/json";
    }
    const res = await mf.dispatchFetch(`http://zk.test${path}`, { method, headers, body });
    const text = await res.text();
    const zxid = res.headers.get("zk-zxid");
    if (zxid === null) throw new Error(`${method} ${path}: no ZK-Zxid header`);
    const json = (res.headers.get("content-type") ?? "").includes("json") && text ? JSON.parse(text) : text;
    return { status: res.status, body: json, zxid: BigInt(zxid), retryAfter: res.headers.get("retry-after") } as never;
  };
}

describe("Worker with etcd authentication, over HTTPS", () => {
  test("a user limited to the prefix works across token expiry", async () => {
    const [prefix, user, password] = [`wk-${process.pid}-a/`, "worker-a", "pw-a"];
    await addPrefixUser(authEtcd, ROOT, user, password, prefix);
    const call = caller(worker({ ETCD_ENDPOINTS: authEtcd.endpoint, ETCD_USER: user, ETCD_PASSWORD: password, ZK_PREFIX: prefix }, { outboundService: network(false) } as Partial<Options>));
    await znodeBasics(call, "/one");
    await tokensExpired(authEtcd, user, password);
    await znodeBasics(call, "/two");
    await tokensExpired(authEtcd, user, password);
    await sessionLifecycle(call, "/three");
    expect((await call("GET", "/healthz")).status).toBe(200);
  }, 90_000);

  test("an unknown user is 503 with Retry-After, then works once etcd knows it", async () => {
    const [prefix, user, password] = [`wk-${process.pid}-b/`, "worker-b", "pw-b"];
    const call = caller(worker({ ETCD_ENDPOINTS: authEtcd.endpoint, ETCD_USER: user, ETCD_PASSWORD: password, ZK_PREFIX: prefix }, { outboundService: network(false) } as Partial<Options>));
    for (const path of ["/healthz", "/v1/znodes/x"]) {
      const res = (await call("GET", path)) as Awaited<ReturnType<SmokeCall>> & { retryAfter: string | null };
      expect(res.status).toBe(503);
      expect(res.retryAfter).toBe("1");
      if (path !== "/healthz") expect(res.body.message).toMatch(/etcd refused the service's credentials .*authentication failed/);
    }
    await addPrefixUser(authEtcd, ROOT, user, password, prefix);
    await until("the Worker to accept the new user", async () => (await call("GET", "/healthz")).status === 200);
    expect((await call("POST", "/v1/znodes/x")).status).toBe(201);
  });
});

describe("Worker with etcd over TLS and client certificates", () => {
  test("through the ETCD_MTLS binding the service works", async () => {
    const call = caller(worker({ ETCD_ENDPOINTS: tlsEtcd.endpoint, ZK_PREFIX: "tls/" }, { serviceBindings: { ETCD_MTLS: network(true) } } as Partial<Options>));
    expect(tlsEtcd.endpoint).toMatch(/^https:/);
    await znodeBasics(call, "/mtls");
    expect((await call("GET", "/healthz")).status).toBe(200);
  });

  test("without the binding the Worker's own fetch presents no certificate: 503", async () => {
    // The Worker's fetch trusts etcd's server certificate here, as it would a public one.
    const call = caller(worker({ ETCD_ENDPOINTS: tlsEtcd.endpoint, ZK_PREFIX: "tls/" }, { outboundService: network(false) } as Partial<Options>));
    for (const path of ["/healthz", "/v1/znodes/"]) {
      const res = (await call("GET", path)) as Awaited<ReturnType<SmokeCall>> & { retryAfter: string | null };
      expect(res.status).toBe(503);
      expect(res.retryAfter).toBe("1");
      if (path !== "/healthz") expect(res.body.code).toBe("CONNECTIONLOSS");
    }
  });
});
