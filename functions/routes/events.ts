// /v1/events/{path}: ZooKeeper's persistent watch (addWatch) as Server-Sent
// Events (lib/persistent.ts). Each event's SSE id is its zxid, so an
// EventSource that reconnects resumes after the last one it got; the stream
// ends after timeoutMs, and idle stretches carry the zxid seen so far.
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { Ctx } from "../../lib/context.js";
import { streamSSE } from "hono/streaming";
import { ZkError, zkCodeNumber } from "../../lib/errors.js";
import { validatePath } from "../../lib/path.js";
import { persistentWatch } from "../../lib/persistent.js";
import type { AppEnv } from "../env.js";
import { deadline, parseInt64, queryOf, waitMsOf, znodePathOf } from "../request.js";
import { EventsQuery } from "../schemas.js";
import { callerKey } from "../waits.js";
import { resource } from "./resource.js";

const PREFIX = "/v1/events";
/** Under the idle timeouts of HTTP proxies. */
const KEEPALIVE_MS = 15_000;

async function events(c: Context<AppEnv>, ctx: Ctx): Promise<Response> {
  c.set("op", "addWatch");
  const path = znodePathOf(c, PREFIX);
  validatePath(path);
  const q = queryOf(c, EventsQuery);
  const lastEventId = c.req.header("last-event-id");
  // A reconnecting EventSource says where it got to; that beats the URL's zxid.
  const since = lastEventId !== undefined ? parseInt64(lastEventId.trim(), "Last-Event-ID") : q.zxid === undefined ? null : parseInt64(q.zxid, "zxid");
  const timeoutMs = waitMsOf(c, q.timeoutMs);
  // Held from here until the stream ends, whichever way it ends.
  const leave = c.get("waits").enter(callerKey(ctx.caller.ids), ctx.config);
  let watch;
  try {
    watch = await persistentWatch(ctx, path, q.recursive === "true", since);
  } catch (e) {
    leave();
    throw e;
  }
  return streamSSE(c, async (stream) => {
    const open = deadline(c, timeoutMs);
    let seen = watch.since;
    let told = seen;
    // An id with no data moves the EventSource's resume point without an event.
    const keepalive = setInterval(() => {
      void stream.write(seen === told ? ": keepalive\n\n" : `id: ${seen}\n\n`).catch(() => undefined);
      told = seen;
    }, KEEPALIVE_MS);
    try {
      await stream.write(`retry: 1000\nid: ${seen}\n\n`);
      for await (const txn of watch.events(open.signal)) {
        for (const e of txn.events) {
          await stream.writeSSE({ id: e.zxid.toString(), data: JSON.stringify({ type: e.type, path: e.path, zxid: e.zxid.toString() }) });
        }
        seen = txn.zxid;
        if (txn.events.length > 0) told = seen;
      }
    } catch (e) {
      // The headers are gone: the error becomes the stream's last event.
      const err = e instanceof ZkError ? e : new ZkError("CONNECTIONLOSS", e instanceof Error ? e.message : String(e));
      await stream.writeSSE({ event: "error", data: JSON.stringify({ code: err.code, zkCode: zkCodeNumber(err.code), message: err.message }) }).catch(() => undefined);
    } finally {
      clearInterval(keepalive);
      open.end();
      leave();
    }
  });
}

export function eventsRoutes(app: OpenAPIHono<AppEnv>): void {
  resource(app, [PREFIX, `${PREFIX}/*`], { GET: events });
}
