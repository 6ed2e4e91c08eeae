// The Hono app both entry points serve: middleware, routes, and the one place
// errors become responses.
import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { digestId } from "../lib/acl.js";
import type { Config } from "../lib/config.js";
import { Ctx } from "../lib/context.js";
import { checkCredentials } from "../lib/credentials.js";
import { EtcdLimitError, EtcdUnavailableError } from "../lib/etcd/errors.js";
import { ZkError } from "../lib/errors.js";
import { counting, recordOp } from "../lib/metrics.js";
import type { Identity } from "../lib/model.js";
import { checkCaller } from "../lib/znodes.js";
import type { AppEnv, Deps } from "./env.js";
import { errorBody, HttpError, isRequestError, statusOf } from "./errors.js";
import { routingPath } from "./request.js";
import { Waits } from "./waits.js";
import { adminRoutes } from "./routes/admin.js";
import { aclRoutes } from "./routes/acl.js";
import { multiRoutes } from "./routes/multi.js";
import { sessionRoutes } from "./routes/sessions.js";
import { znodeRoutes } from "./routes/znodes.js";
import { eventsRoutes } from "./routes/events.js";
import { watchRoutes } from "./routes/watch.js";
import { UI_PATHS, uiRoutes } from "./routes/ui.js";

/** Routes anyone may call: they reveal no data. */
const PUBLIC = new Set(["/healthz", "/openapi.json", "/docs", ...UI_PATHS]);

/** The caller's identities, and whether it authenticated with an admin credential. */
async function identities(c: Context<AppEnv>, deps: Deps, config: Config): Promise<{ ids: Identity[]; admin: boolean }> {
  const ids: Identity[] = [];
  const ip = deps.clientIp(c);
  if (ip) ids.push({ scheme: "ip", id: ip });
  const header = c.req.header("authorization");
  if (header === undefined) {
    if (!config.allowAnonymous && !PUBLIC.has(c.req.path)) {
      throw new ZkError("AUTHFAILED", "credentials required: send Authorization: Basic base64(user:password)");
    }
    return { ids, admin: false };
  }
  const match = /^Basic ([A-Za-z0-9+/]+={0,2})$/i.exec(header.trim());
  let decoded: string | undefined;
  try {
    decoded = match ? new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(atob(match[1]!), (ch) => ch.charCodeAt(0))) : undefined;
  } catch {
    decoded = undefined;
  }
  const colon = decoded?.indexOf(":") ?? -1;
  if (decoded === undefined || colon < 0) {
    throw new ZkError("AUTHFAILED", "malformed Authorization header: use Basic base64(user:password)");
  }
  const user = decoded.slice(0, colon);
  const password = decoded.slice(colon + 1);
  const { accepted, admin } = checkCredentials(config, user, password);
  if (!accepted) {
    throw new ZkError("AUTHFAILED", `wrong user or password for ${JSON.stringify(user)}`);
  }
  ids.push({ scheme: "digest", id: await digestId(user, password) });
  return { ids, admin };
}

/** ZooKeeper's reply-header zxid; -1 when etcd could not be asked. */
function zxidHeader(ctx: Ctx | undefined): string {
  return ctx?.lastZxid == null ? "-1" : ctx.lastZxid.toString();
}

/**
 * The request's context; for a request refused before its route made one
 * (credentials, an unknown route), an anonymous one that can still read the
 * last zxid. Undefined when not even the configuration could be had.
 */
function ctxOf(c: Context<AppEnv>): Ctx | undefined {
  const made = c.get("ctx");
  if (made) return made;
  const etcd = c.get("etcd");
  if (!etcd) return undefined;
  const ctx = new Ctx(etcd, c.get("config"));
  c.set("ctx", ctx);
  return ctx;
}

export function createApp(deps: Deps): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({ getPath: routingPath });
  const waits = new Waits();

  app.use("*", async (c, next) => {
    c.set("op", "other");
    const config = deps.config(c);
    const etcd = counting(deps.etcd(config, c));
    c.set("config", config);
    c.set("etcd", etcd);
    c.set("waits", waits);
    const caller = await identities(c, deps, config);
    c.set("ids", caller.ids);
    c.set("admin", caller.admin);
    let ctx;
    try {
      await next();
      ctx = ctxOf(c)!;
      // Every response carries the last zxid, even one whose route never read etcd.
      if (ctx.lastZxid === null && c.error === undefined) await checkCaller(ctx).catch(() => undefined);
    } finally {
      recordOp(c.get("op"), etcd.calls);
    }
    c.res.headers.set("ZK-Zxid", zxidHeader(ctx));
  });

  znodeRoutes(app);
  multiRoutes(app);
  sessionRoutes(app);
  aclRoutes(app);
  adminRoutes(app);
  watchRoutes(app);
  eventsRoutes(app);
  uiRoutes(app);

  app.notFound(() => {
    throw new HttpError("NOTFOUND", "no such route; see /docs");
  });

  app.onError(async (err, c) => {
    const ctx = ctxOf(c);
    if (err instanceof EtcdUnavailableError) {
      c.header("Retry-After", "1");
      c.header("ZK-Zxid", zxidHeader(ctx));
      return c.json(errorBody(new ZkError("CONNECTIONLOSS", `etcd is unavailable: ${err.message}`), false), 503);
    }
    if (err instanceof EtcdLimitError) {
      err = new ZkError("TOOLARGE", `the request needs more than the etcd cluster allows in one transaction (its --max-txn-ops or --max-request-bytes): ${err.message}`);
    }
    if (!(err instanceof ZkError || err instanceof HttpError)) {
      const requestId = crypto.randomUUID();
      c.header("ZK-Zxid", zxidHeader(ctx));
      console.error(`request ${requestId} ${c.req.method} ${c.req.path}:`, err);
      return c.json({ ...errorBody(new ZkError("SYSTEMERROR", "internal error; quote the requestId when reporting it"), false), requestId }, 500);
    }
    let e = err;
    // The reply still carries the last zxid; and a refused request naming a dead
    // session answers 410 first (docs/api.md's order: session before path and body).
    if (ctx && ctx.lastZxid === null) {
      try {
        await checkCaller(ctx);
      } catch (x) {
        // Otherwise etcd is away: the error at hand is still the answer.
        if (x instanceof ZkError && x.code === "SESSIONEXPIRED" && isRequestError(e.code)) e = x;
      }
    }
    if (e.code === "METHODNOTALLOWED") c.header("Allow", c.get("allow") ?? "");
    if (e.code === "AUTHFAILED") c.header("WWW-Authenticate", 'Basic realm="zookeeper"');
    if (e.code === "TOOMANYREQUESTS") c.header("Retry-After", "1");
    c.header("ZK-Zxid", zxidHeader(ctx));
    const status = statusOf(e.code, c.get("creates") === true);
    return c.json(errorBody(e, c.get("multi") === true), status as 400);
  });

  return app;
}
