// /v1/multi (atomic transaction) and /v1/multi/read (ZooKeeper 3.6 multiRead).
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { Ctx } from "../../lib/context.js";
import { OPEN_ACL_UNSAFE } from "../../lib/acl.js";
import { ZkError } from "../../lib/errors.js";
import type { WriteOp } from "../../lib/model.js";
import { statOf } from "../../lib/stat.js";
import { multiRead, write } from "../../lib/znodes.js";
import type { AppEnv } from "../env.js";
import { statusOf, errorBody } from "../errors.js";
import { bodyOf, decodeData, encodeData, jsonBodyLimit, jsonOf, queryOf, statJson } from "../request.js";
import { EncodingQuery, MultiBody, MultiReadBody } from "../schemas.js";
import { aclOf } from "./acl.js";
import { resource } from "./resource.js";

async function multi(c: Context<AppEnv>, ctx: Ctx): Promise<Response> {
  c.set("op", "multi");
  c.set("multi", true);
  const { encoding = "base64" } = queryOf(c, EncodingQuery);
  // Room for every op's JSON around data that together may reach the limit.
  const body = jsonOf(await bodyOf(c, 2 * jsonBodyLimit(ctx.config.maxDataBytes)), MultiBody);
  const ops: WriteOp[] = body.ops.map((op): WriteOp => {
    switch (op.op) {
      case "create":
        return {
          op: "create",
          path: op.path,
          data: decodeData(op.data, encoding),
          acl: op.acl ? aclOf(op.acl) : OPEN_ACL_UNSAFE,
          mode: op.mode ?? "persistent",
          ttlMs: op.ttlMs ?? 0,
        };
      case "setData":
        return { op: "setData", path: op.path, data: decodeData(op.data, encoding), version: op.version ?? -1 };
      default:
        return { op: op.op, path: op.path, version: op.version ?? -1 };
    }
  });
  try {
    const { zxid, results } = await write(ctx, ops, true);
    return c.json({
      results: results.map((r) => {
        switch (r.op) {
          case "create":
          case "setData":
            return { op: r.op, path: r.path, stat: statJson(statOf(r.node, zxid)) };
          default:
            return { op: r.op, path: r.path };
        }
      }),
    });
  } catch (e) {
    if (!(e instanceof ZkError) || !e.results) throw e;
    // The status is the one the first failing op would get alone.
    const failing = e.results.findIndex((r) => r.code !== "OK");
    c.set("creates", ops[failing]?.op === "create");
    throw e;
  }
}

async function multiReadRoute(c: Context<AppEnv>, ctx: Ctx): Promise<Response> {
  c.set("op", "multiRead");
  const { encoding = "base64" } = queryOf(c, EncodingQuery);
  const body = jsonOf(await bodyOf(c, 16 * 1024 * 1024), MultiReadBody);
  const results = await multiRead(ctx, body.ops);
  return c.json({
    results: results.map((r) => {
      if ("error" in r) {
        const e = new ZkError(r.error.code, r.error.message, r.path);
        return { op: r.op, path: r.path, error: { ...errorBody(e, false), status: statusOf(e.code) } };
      }
      const stat = statJson(statOf(r.node));
      if (r.op === "getChildren") return { op: r.op, path: r.path, children: r.children.sort(), stat };
      return { op: r.op, path: r.path, data: encodeData(r.node.data, encoding, r.path), stat };
    }),
  });
}

export function multiRoutes(app: OpenAPIHono<AppEnv>): void {
  resource(app, ["/v1/multi"], { POST: multi });
  resource(app, ["/v1/multi/read"], { POST: multiReadRoute });
}
