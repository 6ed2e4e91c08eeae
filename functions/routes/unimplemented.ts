// Routes of API.md this version does not serve yet: said plainly, never faked.
import type { OpenAPIHono } from "@hono/zod-openapi";
import { zkCodeNumber } from "../../lib/errors.js";
import type { AppEnv } from "../env.js";

export function unimplementedRoutes(app: OpenAPIHono<AppEnv>): void {
  for (const path of ["/v1/events", "/v1/events/*"]) {
    app.all(path, (c) =>
      c.json({ code: "UNIMPLEMENTED", zkCode: zkCodeNumber("UNIMPLEMENTED"), message: `${c.req.path.split("/").slice(0, 3).join("/")} is not implemented in this version` }, 501),
    );
  }
}
