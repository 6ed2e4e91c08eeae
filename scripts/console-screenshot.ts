// `npm run screenshot:console`: docs/console.png, the web console at 1280x800
// on a sample tree, made the way the console's test drives it (a real etcd,
// the Node server, Debian's Chromium). Writes only that file; everything
// else lives in temp dirs and stops with the script.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { basic, launchChromium } from "../test/support/console.js";
import { startNodeServer } from "../test/support/node-server.js";
import { startEtcd } from "../test/support/etcd-server.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const OUT = process.argv[2] ?? path.join(ROOT, "docs/console.png");
/** A second picture at a phone's size, to look at (not committed). */
const PHONE_OUT = process.argv[3];
const AUTH = basic("operator", "operator");

const etcd = await startEtcd();
const server = await startNodeServer({ ETCD_ENDPOINTS: etcd.endpoint, ZK_API_CREDENTIALS: "operator:operator" });
try {
  const call = async (method: string, p: string, json?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${server.url}${p}`, { method, headers: { Authorization: AUTH, "Content-Type": "application/json", ...headers }, body: json === undefined ? undefined : JSON.stringify(json) });
    if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${await res.text()}`);
    return res.status === 204 ? null : res.json();
  };
  const create = (p: string, data = "", extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
    call("POST", `/v1/znodes${p}?encoding=utf8`, { data, ...extra }, headers);
  const session = (await call("POST", "/v1/sessions", { timeoutMs: 40_000 })).id as string;
  const eph = { "ZK-Session": session };

  await create("/services");
  await create("/services/checkout", JSON.stringify({ owner: "payments", port: 8443 }));
  await create("/services/checkout/instances");
  for (const host of ["10.0.4.17:8443", "10.0.4.23:8443", "10.0.5.9:8443"]) {
    await create(`/services/checkout/instances/member-`, JSON.stringify({ host, zone: "eu-west-1b" }), { mode: "ephemeral_sequential" }, eph);
  }
  await create("/services/checkout/config", JSON.stringify({ replicas: 3, timeoutMs: 2500, features: { newCart: true, giftCards: false }, regions: ["eu-west-1", "us-east-1"] }));
  await create("/services/search", JSON.stringify({ owner: "discovery" }));
  await create("/services/search/instances");
  await create("/locks", "", { mode: "container" });
  await create("/locks/reindex-", "", { mode: "ephemeral_sequential" }, eph);
  await create("/leases", "", { mode: "persistent_with_ttl", ttlMs: 604_800_000 });
  await create("/leases/batch-", "nightly", { mode: "persistent_sequential_with_ttl", ttlMs: 86_400_000 });
  await create("/leases/batch-", "hourly", { mode: "persistent_sequential_with_ttl", ttlMs: 3_600_000 });
  await create("/secrets", "not for you", { acl: [{ scheme: "digest", id: "vault:Rk0vl5x1e0qt0bSKiUMUVuQdNNs=", perms: "cdrwa" }] });
  await call("PUT", "/v1/znodes/services/checkout/config?encoding=utf8", { data: JSON.stringify({ replicas: 4, timeoutMs: 2500, features: { newCart: true, giftCards: false }, regions: ["eu-west-1", "us-east-1"] }) });

  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.setDefaultTimeout(30_000);
    await page.goto(`${server.url}/ui?path=/services/checkout/config`);
    await page.fill("#login-user", "operator");
    await page.fill("#login-password", "operator");
    await page.click("#login-form button[type=submit]");
    await page.locator("#data-view", { hasText: "replicas" }).waitFor();
    await page.check("input[name=fmt][value=json]");
    await page.locator('[role=treeitem][data-path="/services/checkout/instances"] > .ti .tw').click();
    await page.locator('[role=treeitem][data-path="/services/checkout/instances/member-0000000002"]').waitFor();
    // Some traffic for the events panel, after the stream is open.
    await page.locator("#stream-text", { hasText: "live" }).waitFor();
    await create("/services/search/instances/member-", JSON.stringify({ host: "10.0.6.2:9200" }), { mode: "ephemeral_sequential" }, eph);
    await call("PUT", "/v1/znodes/services/checkout/config?encoding=utf8", {
      data: JSON.stringify({ replicas: 5, timeoutMs: 2500, features: { newCart: true, giftCards: false }, regions: ["eu-west-1", "us-east-1"] }),
    });
    await call("DELETE", "/v1/znodes/leases/batch-0000000000");
    await page.locator("#events li", { hasText: "NodeDeleted" }).waitFor();
    await page.locator("#data-view", { hasText: '"replicas": 5' }).waitFor();
    await page.locator('[role=treeitem][data-path="/services/checkout/config"]').focus();
    await page.screenshot({ path: OUT });
    console.log(`wrote ${OUT}`);
    if (PHONE_OUT) {
      await page.setViewportSize({ width: 390, height: 844 });
      await page.screenshot({ path: PHONE_OUT, fullPage: true });
      console.log(`wrote ${PHONE_OUT}`);
    }
  } finally {
    await browser.close();
  }
  await call("DELETE", `/v1/sessions/${session}`);
} finally {
  await server.stop();
  await etcd.stop();
}
