// The web console (/ui) in a real headless Chromium against the real
// service: the Node server as a listening process over a real etcd, and the
// Worker under workerd (Miniflare) over the same etcd. Another client's
// changes are made with plain fetch calls to the API, and expected values come
// from the API's own answers. The steps share one page and run in order; a
// failing step leaves screenshots in a temporary folder (its path is printed).
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Miniflare } from "miniflare";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { basic, launchChromium } from "../support/console.js";
import { startNodeServer, type NodeServer } from "../support/node-server.js";
import { startEtcd, type EtcdServer } from "../support/etcd-server.js";
import { freePort } from "../support/process.js";
import { bundleWorker, COMPATIBILITY_DATE } from "../support/worker.js";

const VARS = { ZK_PREFIX: "ui/", ZK_API_CREDENTIALS: "alice:secret,bob:hunter2" };
const BOB = basic("bob", "hunter2");
const STEP_MS = 90_000;

let etcd: EtcdServer;
let server: NodeServer;
let browser: Browser;
let page: Page;
let mf: Miniflare | undefined;
const pages: Page[] = [];
/** Every request each page made, by the origin it was allowed to talk to. */
const requests: { allowed: string; url: string }[] = [];
const pageErrors: string[] = [];
/** API answers of 400 and above and requests that got no answer, for the log of a failed step. */
const failedResponses: string[] = [];
let shots: string | undefined;

/** A call to the API as another client (bob unless told). */
async function api(method: string, p: string, json?: unknown, auth = BOB): Promise<{ status: number; body: any }> {
  const res = await fetch(`${server.url}${p}`, {
    method,
    headers: { Authorization: auth, ...(json === undefined ? {} : { "Content-Type": "application/json" }) },
    body: json === undefined ? undefined : JSON.stringify(json),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

const hex = (decimal: string) => "0x" + BigInt(decimal).toString(16);

async function newPage(origin: string): Promise<Page> {
  const p = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  p.setDefaultTimeout(30_000);
  p.on("request", (r) => requests.push({ allowed: origin, url: r.url() }));
  p.on("pageerror", (e) => pageErrors.push(`${p.url()}: ${e.message}`));
  p.on("response", (r) => {
    if (r.status() >= 400) failedResponses.push(`${r.request().method()} ${r.url()} ${r.status()}`);
  });
  p.on("requestfailed", (r) => failedResponses.push(`${r.method()} ${r.url()} failed: ${r.failure()?.errorText}`));
  pages.push(p);
  return p;
}

/** A test step that leaves a screenshot of every open page when it fails. */
function step(name: string, fn: () => Promise<void>): void {
  test(
    name,
    async () => {
      try {
        await fn();
      } catch (e) {
        shots ??= mkdtempSync(path.join(os.tmpdir(), "console-test-"));
        for (const [i, p] of pages.entries()) await p.screenshot({ path: path.join(shots, `${name.replace(/\W+/g, "-")}-${i}.png`), fullPage: true }).catch(() => undefined);
        console.error(`console test: screenshots of the failed step "${name}" are in ${shots}`);
        // CI keeps the log, not the screenshots: what the page showed, and what went wrong on the wire.
        for (const [i, p] of pages.entries()) {
          const shown = await p
            .evaluate(() => ["node-title", "node-error", "node-notice", "data-view", "acl-error"].map((id) => `${id}: ${document.getElementById(id)?.textContent ?? "(none)"}`))
            .catch((err: unknown) => [`(page unreadable: ${err})`]);
          console.error(`console test: page ${i} at ${p.url()}\n  ${shown.join("\n  ")}`);
        }
        console.error(`console test: failed requests, latest last:\n  ${failedResponses.slice(-20).join("\n  ") || "(none)"}\npage errors: ${pageErrors.join("; ") || "(none)"}`);
        throw e;
      }
    },
    STEP_MS,
  );
}

const item = (p: string) => page.locator(`[role=treeitem][data-path="${p}"]`);
/** A part of a tree item's own row, not of the items below it. */
const row = (p: string, part: string) => item(p).locator(`:scope > .ti ${part}`);
const statCell = (field: string) => page.locator(`#stat tr[data-field="${field}"] td`);

beforeAll(async () => {
  etcd = await startEtcd();
  server = await startNodeServer({ ETCD_ENDPOINTS: etcd.endpoint, ...VARS });
  browser = await launchChromium();
  page = await newPage(server.url);
}, 120_000);

afterAll(async () => {
  await mf?.dispose();
  await browser?.close();
  await server?.stop();
  await etcd?.stop();
});

describe("the web console on the Node server", () => {
  let config: { czxid: string; mzxid: string };

  step("is public while the API is not, under a strict Content-Security-Policy", async () => {
    for (const [p, data, extra] of [
      ["/app", "the app", {}],
      ["/app/config", '{"replicas":3}', {}],
      ["/app/workers", "", {}],
      ["/app/workers/w-", "", { mode: "persistent_sequential" }],
      ["/app/workers/w-", "", { mode: "persistent_sequential" }],
      ["/app/workers/w-0000000000/task", "t", {}],
      ["/vault", "bob's secret", { acl: [{ scheme: "auth", id: "", perms: "cdrwa" }] }],
      ["/jobs", "", { mode: "container" }],
      ["/lease", "", { mode: "persistent_with_ttl", ttlMs: 3_600_000 }],
    ] as const) {
      const made = await api("POST", `/v1/znodes${p}?encoding=utf8`, { data, ...extra });
      expect(made.status, JSON.stringify(made.body)).toBe(201);
      if (p === "/app/config") config = made.body.stat;
    }
    const ui = await fetch(`${server.url}/ui`);
    expect(ui.status).toBe(200);
    expect(ui.headers.get("content-security-policy")).toContain("default-src 'self'");
    expect((await fetch(`${server.url}/v1/stats`)).status).toBe(401);
  });

  step("asks for credentials, refuses wrong ones, and shows the tree", async () => {
    await page.goto(`${server.url}/ui`);
    await page.fill("#login-user", "alice");
    await page.fill("#login-password", "wrong");
    await page.click("#login-form button[type=submit]");
    await page.locator("#login-error", { hasText: "AUTHFAILED" }).waitFor();
    await page.fill("#login-password", "secret");
    await page.click("#login-form button[type=submit]");
    await item("/app").waitFor();
    expect(await page.locator("#who").textContent()).toBe("signed in as alice");
    expect(await item("/").getAttribute("aria-expanded")).toBe("true");
    await item("/zookeeper").waitFor();
    // Marks: the kinds ZK-Node-Kind names (the Stat cannot), and the nodes alice may not read.
    await row("/jobs", ".m-con").waitFor();
    expect(await row("/lease", ".m-ttl").getAttribute("title")).toContain("3600000 ms");
    await row("/vault", ".m-noauth").waitFor();
    expect(await page.locator("#tree .m-con, #tree .m-ttl, #tree .m-noauth, #tree .m-eph").count()).toBe(3);
  });

  step("expands the tree by keyboard and reads a node's Stat and data", async () => {
    await item("/").focus();
    await page.keyboard.press("ArrowDown");
    expect(await page.evaluate(() => document.activeElement?.getAttribute("data-path"))).toBe("/app");
    await page.keyboard.press("ArrowRight");
    await item("/app/workers").waitFor();
    expect(await item("/app").getAttribute("aria-expanded")).toBe("true");
    // The child count comes from the node's Stat: w-0000000000 and w-0000000001.
    expect(await row("/app/workers", ".count").textContent()).toBe("2");
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("Enter");
    await page.locator("#node-title", { hasText: "/app/config" }).waitFor();
    expect(new URL(page.url()).search).toBe("?path=/app/config");
    await statCell("czxid").locator(".hex").waitFor();
    expect(await statCell("czxid").locator(".dec").textContent()).toBe(config.czxid);
    expect(await statCell("czxid").locator(".hex").textContent()).toBe(hex(config.czxid));
    expect(await statCell("version").textContent()).toBe("0");
    expect(await statCell("dataLength").textContent()).toBe(String('{"replicas":3}'.length));
    expect(await statCell("ephemeralOwner").textContent()).toContain("not ephemeral");
    expect(await page.locator("#data-view").textContent()).toBe('{"replicas":3}');
    await page.check("input[name=fmt][value=json]");
    expect(await page.locator("#data-view").textContent()).toBe('{\n  "replicas": 3\n}');
    await page.check("input[name=fmt][value=hex]");
    expect(await page.locator("#data-view").textContent()).toMatch(/^00000000 {2}7b 22 72 65/);
    await page.check("input[name=fmt][value=text]");
    // Sequential names are marked.
    await row("/app/workers", ".tw").click();
    await row("/app/workers/w-0000000001", ".m-seq").waitFor();
  });

  step("saves an edit with the version it was read at", async () => {
    await page.click("#btn-edit");
    await page.fill("#data-input", '{"replicas":5}');
    await page.click("#data-edit button[type=submit]");
    await page.locator("#data-view", { hasText: '{"replicas":5}' }).waitFor();
    const read = await api("GET", "/v1/znodes/app/config?encoding=utf8");
    expect(read.body.data).toBe('{"replicas":5}');
    expect(read.body.stat.version).toBe(1);
    await page.locator('#stat tr[data-field="version"] td', { hasText: /^1$/ }).waitFor();
  });

  step("shows another client's changes without a reload", async () => {
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 1));
    const set = await api("PUT", "/v1/znodes/app/config?encoding=utf8&version=1", { data: "set by bob" });
    expect(set.status).toBe(200);
    await page.locator("#data-view", { hasText: "set by bob" }).waitFor();
    await page.locator('#stat tr[data-field="mzxid"] .dec', { hasText: new RegExp(`^${set.body.stat.mzxid}$`) }).waitFor();
    expect(await api("POST", "/v1/znodes/app/added-by-bob", {}).then((r) => r.status)).toBe(201);
    await item("/app/added-by-bob").waitFor();
    await page.locator("#events li", { hasText: "/app/added-by-bob" }).waitFor();
    await page.locator("#events li", { hasText: "NodeDataChanged" }).filter({ hasText: "/app/config" }).first().waitFor();
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(1);
  });

  step("meets a concurrent change as a version conflict, not an overwrite", async () => {
    await page.click("#btn-edit");
    const before = (await api("GET", "/v1/znodes/app/config?view=stat")).body.stat.version as number;
    expect((await api("PUT", `/v1/znodes/app/config?encoding=utf8&version=${before}`, { data: "bob again" })).status).toBe(200);
    await page.locator("#node-notice", { hasText: "changed by another client" }).waitFor();
    await page.fill("#data-input", "alice's late edit");
    await page.click("#data-edit button[type=submit]");
    await page.locator("#node-error", { hasText: "BADVERSION" }).waitFor();
    expect(await page.locator("#node-error").textContent()).toContain(`version ${before}`);
    expect((await api("GET", "/v1/znodes/app/config?encoding=utf8")).body.data).toBe("bob again");
    await page.click("#data-cancel");
    await page.locator("#data-view", { hasText: "bob again" }).waitFor();
  });

  step("creates an ephemeral node in the console's own session", async () => {
    await row("/app", ".nm").click();
    await page.locator("#node-title", { hasText: /^\/app$/ }).waitFor();
    await page.click("#btn-create");
    await page.fill("#create-name", "lock");
    await page.selectOption("#create-mode", "ephemeral");
    await page.fill("#create-data", "held");
    await page.click("#create-submit");
    await page.locator("#node-title", { hasText: "/app/lock" }).waitFor();
    const read = await api("GET", "/v1/znodes/app/lock?encoding=utf8");
    expect(read.body.data).toBe("held");
    expect(read.body.stat.ephemeralOwner).not.toBe("0");
    expect(await statCell("ephemeralOwner").locator(".dec").textContent()).toBe(read.body.stat.ephemeralOwner);
    await row("/app/lock", ".m-eph").waitFor();
    const session = await api("GET", `/v1/sessions/${read.body.stat.ephemeralOwner}`);
    expect(session.body.ephemerals).toEqual(["/app/lock"]);
    await page.click("#tab-sessions");
    await page.locator("#own-session a", { hasText: "/app/lock" }).waitFor();
    await page.click("#tab-events");
  });

  step("deletes a subtree after a confirmation that counts it", async () => {
    await row("/app/workers", ".nm").click();
    await page.locator("#node-title", { hasText: "/app/workers" }).waitFor();
    await page.click("#btn-delete");
    await page.locator("#delete-text", { hasText: "the 3 nodes below it" }).waitFor();
    await page.click("#delete-confirm");
    await page.locator("#node-title", { hasText: /^\/app$/ }).waitFor();
    expect((await api("GET", "/v1/znodes/app/workers?view=stat")).status).toBe(404);
    await item("/app/workers").waitFor({ state: "detached" });
    expect(new URL(page.url()).search).toBe("?path=/app");
  });

  step("shows NOAUTH on a node it may not read, and goes on working", async () => {
    await row("/vault", ".nm").click();
    await page.locator("#data-view", { hasText: "NOAUTH" }).waitFor();
    await page.locator("#acl-error", { hasText: "NOAUTH" }).waitFor();
    // exists needs no permission: the Stat is still there.
    const stat = (await api("GET", "/v1/znodes/vault?view=stat")).body.stat;
    expect(await statCell("czxid").locator(".dec").textContent()).toBe(stat.czxid);
    await row("/vault", ".m-noauth").waitFor();
    await page.fill("#path-input", "/no/such/node");
    await page.press("#path-input", "Enter");
    await page.locator("#node-error", { hasText: "NONODE" }).waitFor();
    await page.fill("#path-input", "/app/config");
    await page.press("#path-input", "Enter");
    await page.locator("#data-view", { hasText: "bob again" }).waitFor();
  });

  step("creates a TTL node through the form and sets its ACL at the aversion read", async () => {
    await page.click("#btn-create");
    await page.fill("#create-name", "/app/ttl-node");
    await page.selectOption("#create-mode", "persistent_with_ttl");
    await page.fill("#create-ttl", "5000");
    await page.click("#create-submit");
    await page.locator("#node-title", { hasText: "/app/ttl-node" }).waitFor();
    const head = await fetch(`${server.url}/v1/znodes/app/ttl-node`, { method: "HEAD", headers: { Authorization: BOB } });
    expect([head.headers.get("zk-node-kind"), head.headers.get("zk-ttl-ms")]).toEqual(["ttl", "5000"]);
    await row("/app/ttl-node", ".m-ttl").waitFor();
    await page.click("#btn-acl");
    await page.locator("#acl-rows input[aria-label='perm w']").uncheck();
    await page.click("#acl-edit button[type=submit]");
    await page.locator("#acl td", { hasText: /^cdra$/ }).waitFor();
    const acl = await api("GET", "/v1/acl/app/ttl-node");
    expect(acl.body.acl).toEqual([{ scheme: "world", id: "anyone", perms: "cdra" }]);
    expect(acl.body.stat.aversion).toBe(1);
  });

  step("filters the loaded tree by name", async () => {
    await page.fill("#filter", "ttl");
    await item("/vault").waitFor({ state: "detached" });
    expect(await item("/app/ttl-node").isVisible()).toBe(true);
    expect(await item("/app").isVisible()).toBe(true);
    expect(await item("/app/config").count()).toBe(0);
    await page.fill("#filter", "");
    await item("/vault").waitFor();
  });

  step("opens the node a ?path= link names, and follows the back button", async () => {
    await page.goto(`${server.url}/ui?path=/app/config`);
    await page.locator("#data-view", { hasText: "bob again" }).waitFor();
    await page.click("#crumbs a[data-open='/app']");
    await page.locator("#node-title", { hasText: /^\/app$/ }).waitFor();
    expect(new URL(page.url()).search).toBe("?path=/app");
    await page.goBack();
    await page.locator("#node-title", { hasText: "/app/config" }).waitFor();
    expect(new URL(page.url()).search).toBe("?path=/app/config");
  });

  step("fits a phone-sized screen", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.locator("#data-view", { hasText: "bob again" }).waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    expect(await item("/app").isVisible()).toBe(true);
    await page.setViewportSize({ width: 1280, height: 800 });
  });
});

describe("the web console on the Worker under workerd", () => {
  step("is served and works against the same tree", async () => {
    const port = await freePort();
    mf = new Miniflare({
      modules: true,
      script: await bundleWorker(),
      compatibilityDate: COMPATIBILITY_DATE,
      bindings: { ETCD_ENDPOINTS: etcd.endpoint, ...VARS },
      host: "127.0.0.1",
      port,
    });
    const origin = new URL(await mf.ready).origin;
    const worker = await newPage(origin);
    const res = await worker.goto(`${origin}/ui?path=/app/config`);
    expect(res?.headers()["content-security-policy"]).toContain("default-src 'self'");
    await worker.fill("#login-user", "alice");
    await worker.fill("#login-password", "secret");
    await worker.click("#login-form button[type=submit]");
    await worker.locator("#data-view", { hasText: "bob again" }).waitFor();
    await worker.locator(`[role=treeitem][data-path="/vault"] > .ti .m-noauth`).waitFor();
  });
});

test("no page made a request to any host but the service, nor met a script error", () => {
  expect(requests.length).toBeGreaterThan(10);
  expect(requests.filter((r) => new URL(r.url).origin !== r.allowed)).toEqual([]);
  expect(pageErrors).toEqual([]);
});
