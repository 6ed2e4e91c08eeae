// /healthz, /v1/sync, /v1/stats, /openapi.json and /docs.
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { Ctx } from "../../lib/context.js";
import { ZkError, zkCodeNumber } from "../../lib/errors.js";
import { validatePath } from "../../lib/path.js";
import { serviceStats } from "../../lib/stats.js";
import { checkCaller, sync } from "../../lib/znodes.js";
import type { AppEnv } from "../env.js";
import { znodePathOf } from "../request.js";
import { describeApi, DOCS_HTML } from "../openapi.js";
import { resource } from "./resource.js";

/** Whether this process last answered /healthz down: the log says so once per outage, not per probe. */
let wasDown = false;

async function healthz(c: Context<AppEnv>, ctx: Ctx): Promise<Response> {
  c.set("op", "healthz");
  try {
    // A linearizable read: etcd answers it only with a leader and a quorum.
    await checkCaller(ctx);
  } catch (e) {
    // The caller's own fault (a session it names that has ended) is answered as anywhere.
    if (e instanceof ZkError) throw e;
    // Open to anyone, so it says up or down and nothing of why: that goes to the log.
    if (!wasDown) console.error("healthz: down:", e instanceof Error ? e.message : e);
    wasDown = true;
    c.header("Retry-After", "1");
    return c.json({ status: "down", code: "CONNECTIONLOSS", zkCode: zkCodeNumber("CONNECTIONLOSS"), message: "down: the service cannot reach etcd" }, 503);
  }
  if (wasDown) console.error("healthz: up again");
  wasDown = false;
  return c.json({ status: "ok" });
}

/**
 * The admin routes' gate. With ZK_ADMIN_CREDENTIALS set, only those
 * credentials pass. Without it they are open only where anonymous callers are
 * (a local or trusted setup, as ZooKeeper's AdminServer is open by default),
 * and closed to all otherwise: secure unless a deployment says so.
 */
function requireAdmin(c: Context<AppEnv>): void {
  const config = c.get("config");
  if (c.get("admin")) return;
  if (config.adminCredentials === undefined) {
    if (config.allowAnonymous) return;
    throw new ZkError("NOAUTH", "the admin routes are closed: set ZK_ADMIN_CREDENTIALS and call them with one of its credentials");
  }
  if (c.req.header("authorization") === undefined) {
    throw new ZkError("AUTHFAILED", "admin credentials required: send Authorization: Basic base64(user:password) of a ZK_ADMIN_CREDENTIALS pair");
  }
  throw new ZkError("NOAUTH", "these credentials are not admin credentials (ZK_ADMIN_CREDENTIALS)");
}

async function syncRoute(c: Context<AppEnv>, ctx: Ctx): Promise<Response> {
  c.set("op", "sync");
  const path = znodePathOf(c, "/v1/sync");
  validatePath(path);
  await sync(ctx, path);
  return c.json({ path });
}

async function stats(c: Context<AppEnv>, ctx: Ctx): Promise<Response> {
  c.set("op", "stats");
  requireAdmin(c);
  const s = await serviceStats(ctx);
  return c.json({ ...s, lastZxid: s.lastZxid.toString(), nonZooKeeperWrites: s.nonZooKeeperWrites.toString(), openWaits: c.get("waits").open });
}

export function adminRoutes(app: OpenAPIHono<AppEnv>): void {
  resource(app, ["/healthz"], { GET: healthz });
  resource(app, ["/v1/sync", "/v1/sync/*"], { POST: syncRoute });
  resource(app, ["/v1/stats"], { GET: stats });
  describeApi(app);
  resource(app, ["/openapi.json"], {
    GET: async (c) => c.json(app.getOpenAPIDocument({ openapi: "3.0.3", info: { title: "ZooKeeper on etcd", version: "1" } })),
  });
  resource(app, ["/docs"], { GET: async (c) => c.html(DOCS_HTML) });
}
