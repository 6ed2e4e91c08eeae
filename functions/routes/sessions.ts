// /v1/sessions: open, ping, inspect (getEphemerals), close.
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { Ctx } from "../../lib/context.js";
import type { Session } from "../../lib/model.js";
import { closeSession, inspectSession, openSession, pingSession } from "../../lib/sessions.js";
import type { AppEnv } from "../env.js";
import { bodyOf, jsonOf, parseInt64 } from "../request.js";
import { SessionBody } from "../schemas.js";
import { resource } from "./resource.js";

/** What a client asks for when it says nothing (node-zookeeper-client's default). */
const DEFAULT_TIMEOUT_MS = 30_000;

function sessionJson(s: Session) {
  return { id: s.id.toString(), timeoutMs: s.timeoutMs };
}

function idOf(c: Context<AppEnv>): bigint {
  return parseInt64(c.req.param("id")!, "the session id in the URL");
}

async function open(c: Context<AppEnv>, ctx: Ctx): Promise<Response> {
  c.set("op", "createSession");
  const body = jsonOf(await bodyOf(c, 64 * 1024), SessionBody);
  const session = await openSession(ctx, body.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  c.header("Location", `/v1/sessions/${session.id}`);
  return c.json(sessionJson(session), 201);
}

async function ping(c: Context<AppEnv>, ctx: Ctx): Promise<Response> {
  c.set("op", "ping");
  return c.json(sessionJson(await pingSession(ctx, idOf(c))));
}

async function inspect(c: Context<AppEnv>, ctx: Ctx): Promise<Response> {
  c.set("op", "getEphemerals");
  const s = await inspectSession(ctx, idOf(c));
  return c.json({ ...sessionJson(s), ephemerals: s.ephemerals });
}

async function close(c: Context<AppEnv>, ctx: Ctx): Promise<Response> {
  c.set("op", "closeSession");
  await closeSession(ctx, idOf(c));
  return c.body(null, 204);
}

export function sessionRoutes(app: OpenAPIHono<AppEnv>): void {
  resource(app, ["/v1/sessions"], { POST: open });
  resource(app, ["/v1/sessions/:id/ping"], { POST: ping });
  resource(app, ["/v1/sessions/:id"], { GET: inspect, DELETE: close });
}
