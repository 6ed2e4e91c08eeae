// /ui: the web console (functions/console/). Public like /docs: the files hold
// no data, and every call the page makes carries the user's credentials.
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { CONSOLE_CSS, CONSOLE_HTML, CONSOLE_JS } from "../console/assets.js";
import type { AppEnv } from "../env.js";
import { resource } from "./resource.js";

/** The page may load and call only its own origin: no inline script or style, no other host. */
const CSP = "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

function asset(body: string, type: string) {
  return async (c: Context<AppEnv>) =>
    c.body(body, 200, {
      "Content-Type": type,
      "Content-Security-Policy": CSP,
      "X-Content-Type-Options": "nosniff",
      "Referrer-Policy": "no-referrer",
      // Small, and changed by every deploy: revalidate rather than serve a stale console.
      "Cache-Control": "no-cache",
    });
}

export const UI_PATHS = ["/ui", "/ui/", "/ui/app.js", "/ui/app.css"];

export function uiRoutes(app: OpenAPIHono<AppEnv>): void {
  resource(app, ["/ui", "/ui/"], { GET: asset(CONSOLE_HTML, "text/html; charset=utf-8") });
  resource(app, ["/ui/app.js"], { GET: asset(CONSOLE_JS, "text/javascript; charset=utf-8") });
  resource(app, ["/ui/app.css"], { GET: asset(CONSOLE_CSS, "text/css; charset=utf-8") });
}
