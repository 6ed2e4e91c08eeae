// Registers a resource's methods, plus the 405 (with Allow) for every other method.
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { Ctx } from "../../lib/context.js";
import type { AppEnv } from "../env.js";
import { HttpError } from "../errors.js";
import { namedSession } from "../request.js";

type Method = "GET" | "POST" | "PUT" | "DELETE";
/** A route's handler, given the request's context (lib/context.ts). */
type Handler = (c: Context<AppEnv>, ctx: Ctx) => Promise<Response>;

export function resource(app: OpenAPIHono<AppEnv>, paths: string[], handlers: Partial<Record<Method, Handler>>): void {
  const methods = Object.keys(handlers) as Method[];
  // GET answers HEAD too (Hono routes HEAD to GET and drops the body).
  const allow = [...methods, ...(methods.includes("GET") ? ["HEAD"] : [])].join(", ");
  for (const path of paths) {
    for (const method of methods) {
      const handler = handlers[method]!;
      // The session is read once route and method are known (the API's order of checks).
      app.on(method, path, (c) => {
        const ctx = new Ctx(c.get("etcd"), c.get("config"), { ids: c.get("ids"), session: namedSession(c) });
        c.set("ctx", ctx);
        return handler(c, ctx);
      });
    }
    app.all(path, (c) => {
      c.set("allow", allow);
      throw new HttpError("METHODNOTALLOWED", `${c.req.method} is not allowed here; use ${allow}`);
    });
  }
}
