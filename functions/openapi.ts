// The OpenAPI description: the same zod schemas that validate requests.
// Znode routes take the rest of the URL as the path, which OpenAPI cannot
// template, so they are registered here rather than with createRoute.
import type { OpenAPIHono } from "@hono/zod-openapi";
import { z } from "@hono/zod-openapi";
import type { AppEnv } from "./env.js";
import {
  AclResponse,
  ChildrenResponse,
  CreateBody,
  ErrorResponse,
  MultiBody,
  MultiReadBody,
  MultiReadResponse,
  MultiResponse,
  PathStatResponse,
  SessionBody,
  SessionInfoResponse,
  SessionResponse,
  SetAclBody,
  SetDataBody,
  ZnodeQuery,
  AclQuery,
  EventsQuery,
  WatchEventResponse,
  WatchQuery,
  ZnodeResponse,
} from "./schemas.js";

const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { "application/json": { schema } } });
const error = (description: string) => json(ErrorResponse, description);
const znodePath = z.object({ path: z.string().openapi({ description: "the znode path after the prefix; `/v1/znodes/` is `/`", example: "a/b" }) });
const sessionId = z.object({ id: z.string().regex(/^\d+$/).openapi({ description: "session id (int64, decimal)" }) });
const sessionHeader = z.object({ "zk-session": z.string().optional().openapi({ description: "session id (int64, decimal); or ?session=" }) });
const nodeKind = z.object({
  "ZK-Node-Kind": z.enum(["persistent", "ephemeral", "container", "ttl"]).openapi({ description: "how the node lives, which the Stat cannot say" }),
  "ZK-TTL-Ms": z.string().optional().openapi({ description: "a TTL node's TTL in milliseconds" }),
});
const common = { 400: error("bad path, parameter or body"), 401: error("credentials that do not check out"), 410: error("the named session is not live"), 503: error("etcd unreachable; see Retry-After") };

export function describeApi(app: OpenAPIHono<AppEnv>): void {
  const r = app.openAPIRegistry;
  r.registerPath({
    method: "get",
    path: "/v1/znodes/{path}",
    summary: "getData, getChildren2 (?view=children) or exists (?view=stat)",
    request: { params: znodePath, query: ZnodeQuery.pick({ view: true, encoding: true }), headers: sessionHeader },
    responses: { 200: { ...json(z.union([ZnodeResponse, ChildrenResponse, PathStatResponse]), "the znode"), headers: nodeKind }, 403: error("NOAUTH"), 404: error("NONODE"), ...common },
  });
  r.registerPath({
    method: "head",
    path: "/v1/znodes/{path}",
    summary: "exists: the stat in the ZK-Stat header",
    request: { params: znodePath, headers: sessionHeader },
    responses: { 200: { description: "exists", headers: nodeKind }, 404: { description: "NONODE" } },
  });
  r.registerPath({
    method: "post",
    path: "/v1/znodes/{path}",
    summary: "create2; raw bytes with Content-Type: application/octet-stream",
    request: { params: znodePath, query: ZnodeQuery.pick({ mode: true, ttlMs: true, encoding: true }), headers: sessionHeader, body: { content: { "application/json": { schema: CreateBody } } } },
    responses: { 201: json(PathStatResponse, "created"), 403: error("NOAUTH"), 409: error("NODEEXISTS, NONODE (parent), NOCHILDRENFOREPHEMERALS"), 413: error("TOOLARGE"), 415: error("UNSUPPORTEDMEDIATYPE"), ...common },
  });
  r.registerPath({
    method: "put",
    path: "/v1/znodes/{path}",
    summary: "setData; ?version=N or If-Match",
    request: { params: znodePath, query: ZnodeQuery.pick({ version: true, encoding: true }), headers: sessionHeader, body: { content: { "application/json": { schema: SetDataBody } } } },
    responses: { 200: json(PathStatResponse, "set"), 403: error("NOAUTH"), 404: error("NONODE"), 412: error("BADVERSION"), 413: error("TOOLARGE"), ...common },
  });
  r.registerPath({
    method: "delete",
    path: "/v1/znodes/{path}",
    summary: "delete; ?version=N or If-Match",
    request: { params: znodePath, query: ZnodeQuery.pick({ version: true }), headers: sessionHeader },
    responses: { 204: { description: "deleted" }, 403: error("NOAUTH"), 404: error("NONODE"), 409: error("NOTEMPTY"), 412: error("BADVERSION"), ...common },
  });
  r.registerPath({
    method: "post",
    path: "/v1/multi",
    summary: "multi: all or nothing in one zxid",
    request: { headers: sessionHeader, body: { content: { "application/json": { schema: MultiBody } } } },
    responses: { 200: json(MultiResponse, "committed"), 404: error("a check's NONODE"), 409: error("first failing op's code, with results"), 412: error("BADVERSION"), ...common },
  });
  r.registerPath({
    method: "post",
    path: "/v1/multi/read",
    summary: "multiRead: each op answered independently",
    request: { headers: sessionHeader, body: { content: { "application/json": { schema: MultiReadBody } } } },
    responses: { 200: json(MultiReadResponse, "results"), ...common },
  });
  r.registerPath({
    method: "post",
    path: "/v1/sessions",
    summary: "open a session (timeout clamped to [min, max])",
    request: { body: { content: { "application/json": { schema: SessionBody } } } },
    responses: { 201: json(SessionResponse, "opened"), ...common },
  });
  r.registerPath({ method: "post", path: "/v1/sessions/{id}/ping", summary: "heartbeat", request: { params: sessionId }, responses: { 200: json(SessionResponse, "live"), ...common } });
  r.registerPath({ method: "get", path: "/v1/sessions/{id}", summary: "inspect: the session's ephemerals", request: { params: sessionId }, responses: { 200: json(SessionInfoResponse, "live"), ...common } });
  r.registerPath({ method: "delete", path: "/v1/sessions/{id}", summary: "close: ephemerals removed at once", request: { params: sessionId }, responses: { 204: { description: "closed" }, ...common } });
  r.registerPath({
    method: "get",
    path: "/v1/acl/{path}",
    summary: "getACL",
    request: { params: znodePath, headers: sessionHeader },
    responses: { 200: json(AclResponse, "the ACL"), 403: error("NOAUTH"), 404: error("NONODE"), ...common },
  });
  r.registerPath({
    method: "put",
    path: "/v1/acl/{path}",
    summary: "setACL; ?aversion=N",
    request: { params: znodePath, query: AclQuery, headers: sessionHeader, body: { content: { "application/json": { schema: SetAclBody } } } },
    responses: { 200: json(PathStatResponse, "set"), 403: error("NOAUTH"), 404: error("NONODE"), 412: error("BADVERSION"), ...common },
  });
  r.registerPath({
    method: "get",
    path: "/v1/watch/{path}",
    summary: "one-shot watch as a long poll: the first event after the read whose ZK-Zxid is `zxid`",
    request: { params: znodePath, query: WatchQuery, headers: sessionHeader },
    responses: {
      200: json(WatchEventResponse, "the event (at once if it already happened)"),
      204: { description: "no event within timeoutMs: poll again with the same zxid" },
      403: error("NOAUTH: no READ for a data or children watch"),
      404: error("NONODE: a data or children watch on a node missing at that zxid"),
      ...common,
      410: error("WATCHEXPIRED: the zxid is older than etcd's compacted history; SESSIONEXPIRED"),
    },
  });
  r.registerPath({
    method: "get",
    path: "/v1/events/{path}",
    summary: "persistent watch (addWatch) as Server-Sent Events: each event's id is its zxid; Last-Event-ID resumes",
    request: { params: znodePath, query: EventsQuery, headers: sessionHeader },
    responses: {
      200: { description: "text/event-stream of WatchEvent data, one per event, until timeoutMs", content: { "text/event-stream": { schema: WatchEventResponse } } },
      ...common,
      410: error("WATCHEXPIRED: the zxid is older than etcd's compacted history; SESSIONEXPIRED"),
    },
  });
  r.registerPath({ method: "post", path: "/v1/sync/{path}", summary: "sync: linearizable", request: { params: znodePath }, responses: { 200: json(z.object({ path: z.string() }), "synced"), ...common } });
  r.registerPath({ method: "get", path: "/healthz", summary: "200 when etcd answers a linearizable read", responses: { 200: { description: "healthy" }, 503: error("etcd unavailable") } });
  r.registerPath({ method: "get", path: "/v1/stats", summary: "counts, last zxid, etcd round trips per op", responses: { 200: { description: "stats" } } });
}

export const DOCS_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ZooKeeper on etcd — HTTP API</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}code{background:#f3f3f3;padding:0 .2em}
h2{font-size:1.05rem;margin:1.5rem 0 .3rem}.m{display:inline-block;width:4.5rem;font-weight:600}</style></head>
<body><h1>ZooKeeper on etcd — HTTP API v1</h1>
<p>ZooKeeper's data model over HTTP. int64 values are decimal strings; every response carries <code>ZK-Zxid</code>.
The machine-readable description is <a href="/openapi.json">/openapi.json</a>.</p><div id="routes">Loading…</div>
<script>
fetch('/openapi.json').then(r=>r.json()).then(doc=>{const out=[];
for(const [path,ops] of Object.entries(doc.paths)){for(const [m,op] of Object.entries(ops)){
const codes=Object.entries(op.responses||{}).map(([s,r])=>s+' '+(r.description||'')).join('; ');
out.push('<h2><span class="m">'+m.toUpperCase()+'</span><code>'+path+'</code></h2><p>'+(op.summary||'')+'</p><p><small>'+codes+'</small></p>');}}
document.getElementById('routes').innerHTML=out.join('');});
</script></body></html>`;
