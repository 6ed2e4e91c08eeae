// Registers a resource's methods, plus the 405 (with Allow) for every other method.
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { ZkError } from "../../lib/errors.js";
import type { AppEnv } from "../env.js";
import { sessionOf } from "../request.js";

type Method = "GET" | "POST" | "PUT" | "DELETE";
type Handler = (c: Context<AppEnv>) => Promise<Response>;

export function resource(app: OpenAPIHono<AppEnv>, paths: string[], handlers: Partial<Record<Method, Handler>>): void {
  const methods = Object.keys(handlers) as Method[];
  // GET answers HEAD too (Hono routes HEAD to GET and drops the body).
  const allow = [...methods, ...(methods.includes("GET") ? ["HEAD"] : [])].join(", ");
  for (const path of paths) {
    for (const method of methods) {
      const handler = handlers[method]!;
      // The session is checked once route and method are known (API.md's order).
      app.on(method, path, (c) => {
        c.get("ctx").caller.session = sessionOf(c);
        return handler(c);
      });
    }
    app.all(path, (c) => {
      c.set("allow", allow);
      throw new ZkError("METHODNOTALLOWED", `${c.req.method} is not allowed here; use ${allow}`);
    });
  }
}
