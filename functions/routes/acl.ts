// /v1/acl/{path}: getACL and setACL.
import type { OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { Ctx } from "../../lib/context.js";
import { formatPerms, parsePerms } from "../../lib/acl.js";
import { ZkError } from "../../lib/errors.js";
import { validatePath } from "../../lib/path.js";
import type { AclEntry } from "../../lib/model.js";
import { statOf } from "../../lib/stat.js";
import { getAcl, write } from "../../lib/znodes.js";
import type { AppEnv } from "../env.js";
import { bodyOf, jsonOf, queryOf, statJson, znodePathOf } from "../request.js";
import { AclQuery, SetAclBody, type AclEntryJson } from "../schemas.js";
import { resource } from "./resource.js";

const PREFIX = "/v1/acl";

export function aclOf(entries: z.output<typeof AclEntryJson>[]): AclEntry[] {
  return entries.map((e) => {
    const perms = parsePerms(e.perms);
    if (perms === null) throw new ZkError("BADARGUMENTS", `perms ${JSON.stringify(e.perms)} repeats a letter; use each of c d r w a at most once`);
    return { perms, scheme: e.scheme, id: e.id };
  });
}

export function aclJson(acl: AclEntry[]) {
  return acl.map((e) => ({ perms: formatPerms(e.perms), scheme: e.scheme, id: e.id }));
}

function pathOf(c: Context<AppEnv>): string {
  const path = znodePathOf(c, PREFIX);
  validatePath(path);
  return path;
}

async function get(c: Context<AppEnv>, ctx: Ctx): Promise<Response> {
  c.set("op", "getACL");
  const path = pathOf(c);
  const { node, acl } = await getAcl(ctx, path);
  return c.json({ path, acl: aclJson(acl), stat: statJson(statOf(node)) });
}

async function set(c: Context<AppEnv>, ctx: Ctx): Promise<Response> {
  c.set("op", "setACL");
  const path = pathOf(c);
  const q = queryOf(c, AclQuery);
  const body = jsonOf(await bodyOf(c, 1024 * 1024), SetAclBody);
  const { zxid, results } = await write(ctx, [{ op: "setACL", path, acl: aclOf(body.acl), version: q.aversion ?? -1 }]);
  const r = results[0]!;
  if (r.op !== "setACL") throw new Error("setACL returned another op's result");
  return c.json({ path, stat: statJson(statOf(r.node, zxid)) });
}

export function aclRoutes(app: OpenAPIHono<AppEnv>): void {
  resource(app, [PREFIX, `${PREFIX}/*`], { GET: get, PUT: set });
}
