// /healthz, /v1/sync, /v1/stats, /openapi.json and /docs.
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { Ctx } from "../../lib/context.js";
import { validatePath } from "../../lib/path.js";
import { serviceStats } from "../../lib/stats.js";
import { checkCaller, sync } from "../../lib/znodes.js";
import type { AppEnv } from "../env.js";
import { znodePathOf } from "../request.js";
import { describeApi, DOCS_HTML } from "../openapi.js";
import { resource } from "./resource.js";

async function healthz(c: Context<AppEnv>, ctx: Ctx): Promise<Response> {
  c.set("op", "healthz");
  // A linearizable read: etcd answers it only with a leader and a quorum.
  await checkCaller(ctx);
  return c.json({ status: "ok" });
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
  const s = await serviceStats(ctx);
  return c.json({ ...s, lastZxid: s.lastZxid.toString(), nonZooKeeperWrites: s.nonZooKeeperWrites.toString() });
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
