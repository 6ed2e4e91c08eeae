// /v1/watch/{path}: a ZooKeeper one-shot watch as a long poll (lib/watch.ts).
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { Ctx } from "../../lib/context.js";
import { validatePath } from "../../lib/path.js";
import { nextEvent } from "../../lib/watch.js";
import type { AppEnv } from "../env.js";
import { deadline, parseInt64, queryOf, waitMsOf, znodePathOf } from "../request.js";
import { WatchQuery } from "../schemas.js";
import { callerKey } from "../waits.js";
import { resource } from "./resource.js";

const PREFIX = "/v1/watch";

async function poll(c: Context<AppEnv>, ctx: Ctx): Promise<Response> {
  c.set("op", "watch");
  const path = znodePathOf(c, PREFIX);
  validatePath(path);
  const q = queryOf(c, WatchQuery);
  const since = q.zxid === undefined ? null : parseInt64(q.zxid, "zxid");
  const timeoutMs = waitMsOf(c, q.timeoutMs);
  const leave = c.get("waits").enter(callerKey(ctx.caller.ids), ctx.config);
  const wait = deadline(c, timeoutMs);
  let event;
  try {
    event = await nextEvent(ctx, path, q.type, since, wait.signal);
  } finally {
    wait.end();
    leave();
  }
  if (event === null) return c.body(null, 204);
  return c.json({ type: event.type, path: event.path, zxid: event.zxid.toString() });
}

export function watchRoutes(app: OpenAPIHono<AppEnv>): void {
  resource(app, [PREFIX, `${PREFIX}/*`], { GET: poll });
}
