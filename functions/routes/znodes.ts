// /v1/znodes/{path}: getData, getChildren2, exists, create2, setData, delete.
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { Ctx } from "../../lib/context.js";
import { OPEN_ACL_UNSAFE } from "../../lib/acl.js";
import { ZkError } from "../../lib/errors.js";
import { validatePath } from "../../lib/path.js";
import type { CreateMode, ZNode } from "../../lib/model.js";
import { statOf } from "../../lib/stat.js";
import { exists, getChildren, getData, write } from "../../lib/znodes.js";
import type { AppEnv } from "../env.js";
import { aclOf } from "./acl.js";
import { bodyOf, decodeData, encodeData, jsonBodyLimit, jsonOf, queryOf, statJson, znodePathOf } from "../request.js";
import { CreateBody, SetDataBody, ZnodeQuery } from "../schemas.js";
import { resource } from "./resource.js";

const PREFIX = "/v1/znodes";

/** The path, validated before anything else is read (docs/api.md's order). */
function pathOf(c: Context<AppEnv>, sequentialPrefix = false): string {
  const path = znodePathOf(c, PREFIX);
  validatePath(path, sequentialPrefix && path.endsWith("/"));
  return path;
}

/** A value that may come from the query or from `where` (the body, a header), but not differently from both. */
function either<T>(name: string, query: T | undefined, other: T | null | undefined, where = "the body"): T | undefined {
  if (query !== undefined && other !== undefined && other !== null && query !== other) {
    throw new ZkError("BADARGUMENTS", `${name} is given as ${JSON.stringify(query)} in the query and ${JSON.stringify(other)} in ${where}; give one`);
  }
  return query ?? other ?? undefined;
}

/** `?version=N` or `If-Match: "N"`; -1 when neither. */
function versionOf(c: Context<AppEnv>, fromQuery: number | undefined): number {
  const ifMatch = c.req.header("if-match");
  let fromHeader: number | undefined;
  if (ifMatch !== undefined) {
    const m = /^\s*"?(-?\d+)"?\s*$/.exec(ifMatch);
    const n = m ? Number(m[1]) : NaN;
    if (!Number.isInteger(n) || n < -(2 ** 31) || n > 2 ** 31 - 1) throw new ZkError("BADARGUMENTS", `If-Match must be a quoted int32 version, not ${ifMatch}`);
    fromHeader = n;
  }
  return either("version", fromQuery, fromHeader, "If-Match") ?? -1;
}

/**
 * How the node lives, which ZooKeeper's Stat cannot say (its ephemeralOwner is
 * 0 for containers and TTL nodes alike): for tools such as the console.
 */
function kindHeaders(node: ZNode): Record<string, string> {
  return node.kind === "ttl" ? { "ZK-Node-Kind": "ttl", "ZK-TTL-Ms": String(node.ttlMs) } : { "ZK-Node-Kind": node.kind };
}

function wantsOctets(c: Context<AppEnv>): boolean {
  return (c.req.header("accept") ?? "").toLowerCase().includes("application/octet-stream");
}

async function getNode(c: Context<AppEnv>, ctx: Ctx): Promise<Response> {
  const path = pathOf(c);
  const q = queryOf(c, ZnodeQuery);
  const encoding = q.encoding ?? "base64";
  if (c.req.method === "HEAD" || q.view === "stat") {
    c.set("op", "exists");
    const node = await exists(ctx, path);
    const stat = statJson(statOf(node));
    if (c.req.method === "HEAD") return c.body(null, 200, { "ZK-Stat": JSON.stringify(stat), ...kindHeaders(node) });
    return c.json({ path, stat }, 200, kindHeaders(node));
  }
  if (q.view === "children") {
    c.set("op", "getChildren2");
    const { node, children } = await getChildren(ctx, path);
    return c.json({ path, children: children.sort(), stat: statJson(statOf(node)) }, 200, kindHeaders(node));
  }
  c.set("op", "getData");
  const node = await getData(ctx, path);
  const stat = statJson(statOf(node));
  if (wantsOctets(c)) {
    return c.body(node.data as Uint8Array<ArrayBuffer>, 200, { "Content-Type": "application/octet-stream", "ZK-Stat": JSON.stringify(stat), ...kindHeaders(node) });
  }
  return c.json({ path, data: encodeData(node.data, encoding, path), stat }, 200, kindHeaders(node));
}

async function create(c: Context<AppEnv>, ctx: Ctx): Promise<Response> {
  c.set("op", "create");
  c.set("creates", true);
  const rawPath = pathOf(c, true);
  const q = queryOf(c, ZnodeQuery);
  const body = await bodyOf(c, jsonBodyLimit(ctx.config.maxDataBytes), true);
  const fields = body.kind === "bytes" ? {} : jsonOf(body, CreateBody);
  const data = body.kind === "bytes" ? body.value : decodeData(fields.data, q.encoding ?? "base64");
  const mode: CreateMode = either("mode", q.mode, fields.mode) ?? "persistent";
  const ttlMs = either("ttlMs", q.ttlMs, fields.ttlMs) ?? 0;
  const acl = fields.acl ? aclOf(fields.acl) : OPEN_ACL_UNSAFE;
  if (rawPath !== "/" && rawPath.endsWith("/") && !mode.includes("sequential")) {
    throw new ZkError("BADARGUMENTS", `invalid path ${JSON.stringify(rawPath)}: a trailing / is only for sequential creates`, rawPath);
  }
  const { zxid, results } = await write(ctx, [{ op: "create", path: rawPath, data, acl, mode, ttlMs }]);
  const created = results[0]!;
  if (created.op !== "create") throw new Error("create returned another op's result");
  const stat = statJson(statOf(created.node, zxid));
  c.header("Location", PREFIX + created.path.split("/").map(encodeURIComponent).join("/"));
  return c.json({ path: created.path, stat }, 201);
}

async function setData(c: Context<AppEnv>, ctx: Ctx): Promise<Response> {
  c.set("op", "setData");
  const path = pathOf(c);
  const q = queryOf(c, ZnodeQuery);
  const version = versionOf(c, q.version);
  const body = await bodyOf(c, jsonBodyLimit(ctx.config.maxDataBytes), true);
  const data = body.kind === "bytes" ? body.value : decodeData(jsonOf(body, SetDataBody).data, q.encoding ?? "base64");
  const { zxid, results } = await write(ctx, [{ op: "setData", path, data, version }]);
  const set = results[0]!;
  if (set.op !== "setData") throw new Error("setData returned another op's result");
  return c.json({ path, stat: statJson(statOf(set.node, zxid)) });
}

async function remove(c: Context<AppEnv>, ctx: Ctx): Promise<Response> {
  c.set("op", "delete");
  const path = pathOf(c);
  const q = queryOf(c, ZnodeQuery);
  await write(ctx, [{ op: "delete", path, version: versionOf(c, q.version) }]);
  return c.body(null, 204);
}

export function znodeRoutes(app: OpenAPIHono<AppEnv>): void {
  resource(app, [PREFIX, `${PREFIX}/*`], { GET: getNode, POST: create, PUT: setData, DELETE: remove });
}
