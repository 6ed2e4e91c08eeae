// The side under test: this service over its HTTP API (docs/api.md), in process on
// Node or as the Worker under workerd. Every op is one HTTP request, as a
// client of the API would send it; sessions are kept alive by pings, and
// "expire" simply stops pinging.
import { expectedStatus, bytesOf, WATCH_READ, watchIsSet, type Acl, type MultiOp, type Op, type WatchKind } from "./ops.js";
import { b64, Frame, type NAcl, type NMultiResult, type NNode, type NReadResult, type NResult, type NSnapshot, type NStat, type RawStat } from "./normalize.js";
import { EXPIRY_DEADLINE_MS, sleep, type Anonymous, type Side } from "./side.js";

export interface HttpReply {
  status: number;
  headers: Headers;
  /** Parsed JSON, or the text, or (octet-stream) the bytes. */
  body: any;
  /** The ZK-Zxid header (null when missing: a contract violation the comparison reports). */
  zxid: bigint | null;
}

/** One way to reach the service: app.request in process, or the Worker's dispatchFetch. */
export interface HttpTarget {
  request(method: string, path: string, init?: { json?: unknown; bytes?: Uint8Array; headers?: Record<string, string> }): Promise<HttpReply>;
}

/** Adapts a fetch-like function (Hono's app.request, Miniflare's dispatchFetch). */
export function httpTarget(fetchLike: (url: string, init: RequestInit) => Promise<Response>, extraHeaders: Record<string, string> = {}): HttpTarget {
  return {
    async request(method, path, init = {}) {
      const headers: Record<string, string> = { ...extraHeaders, ...init.headers };
      let body: string | Uint8Array | undefined;
      if (init.json !== undefined) {
        body = JSON.stringify(init.json);
        headers["content-type"] = "application/json";
      } else if (init.bytes !== undefined) {
        body = init.bytes;
        headers["content-type"] = "application/octet-stream";
      }
      const res = await fetchLike(`http://zk.test${path}`, { method, headers, body: body as BodyInit | undefined });
      const type = res.headers.get("content-type") ?? "";
      let parsed: any;
      if (type.includes("application/octet-stream")) parsed = new Uint8Array(await res.arrayBuffer());
      else {
        const text = await res.text();
        parsed = type.includes("json") && text ? JSON.parse(text) : text;
      }
      const z = res.headers.get("zk-zxid");
      return { status: res.status, headers: res.headers, body: parsed, zxid: z === null || !/^-?\d+$/.test(z) ? null : BigInt(z) };
    },
  };
}

interface Session {
  label: string;
  id: string;
  owner: string;
  timeoutMs: number;
  auth?: string;
  state: "live" | "closed" | "expired";
  pinger?: NodeJS.Timeout;
}

/** A watch: the read that set it (its ZK-Zxid) and the session it was read in. */
interface Watch {
  kind: WatchKind;
  path: string;
  zxid: bigint | null;
  session?: string;
  set: boolean;
  /** addWatch's: read as /v1/events. */
  persistent?: { recursive: boolean };
}

/** How long a persistent watch's stream is read: it replays history at once, then waits for more. */
const EVENTS_STREAM_MS = 1500;

/** The events of an SSE body, as "<type> <path>". */
function sseEvents(text: string): string[] {
  return text
    .split("\n\n")
    .flatMap((block) => block.split("\n").filter((l) => l.startsWith("data: ")))
    .map((l) => JSON.parse(l.slice(6)))
    .map((d) => `${d.type} ${d.path}`);
}

const basic = (auth: string) => `Basic ${Buffer.from(auth).toString("base64")}`;

export function urlPath(prefix: string, path: string): string {
  return prefix + path.split("/").map(encodeURIComponent).join("/");
}

function rawStat(s: any): RawStat {
  return {
    czxid: BigInt(s.czxid),
    mzxid: BigInt(s.mzxid),
    pzxid: BigInt(s.pzxid),
    ctime: s.ctime,
    mtime: s.mtime,
    version: s.version,
    cversion: s.cversion,
    aversion: s.aversion,
    ephemeralOwner: BigInt(s.ephemeralOwner),
    dataLength: s.dataLength,
    numChildren: s.numChildren,
  };
}

const nAcl = (acl: Acl[]): NAcl[] => acl.map((a) => ({ perms: a.perms, scheme: a.scheme, id: a.id }));

function multiOpJson(o: MultiOp): unknown {
  switch (o.op) {
    case "create":
      return { op: "create", path: o.path, data: b64(bytesOf(o.data)), mode: o.mode ?? "persistent", ...(o.acl ? { acl: o.acl } : {}), ...(o.ttlMs !== undefined ? { ttlMs: o.ttlMs } : {}) };
    case "setData":
      return { op: "setData", path: o.path, data: b64(bytesOf(o.data)), ...(o.version !== undefined ? { version: o.version } : {}) };
    default:
      return { op: o.op, path: o.path, ...(o.version !== undefined ? { version: o.version } : {}) };
  }
}

export class ServiceSide implements Side {
  readonly frame = new Frame();
  private readonly anonymous = new Map<string, Anonymous>();
  private readonly sessions = new Map<string, Session>();
  private readonly problems: string[] = [];
  private readonly watches = new Map<string, Watch>();

  /** `reap`: runs the service's scheduled job once (it removes empty containers and expired TTL nodes). */
  private readonly http: HttpTarget;
  private readonly unavailable: string[] = [];

  constructor(
    readonly name: string,
    http: HttpTarget,
    private readonly reap?: () => Promise<void>,
  ) {
    // A 503 (CONNECTIONLOSS: etcd did not answer in time) is the service's documented
    // answer to an unavailable etcd, not a ZooKeeper outcome: the runner is told.
    this.http = {
      request: async (method, path, init) => {
        const r = await http.request(method, path, init);
        if (r.status === 503) this.unavailable.push(`${method} ${path}: ${typeof r.body === "object" ? r.body?.message : r.status}`);
        return r;
      },
    };
  }

  outages(): string[] {
    return this.unavailable.splice(0);
  }

  async begin(anonymous: Anonymous[]): Promise<void> {
    this.anonymous.set("anon", { name: "anon" });
    for (const a of anonymous) this.anonymous.set(a.name, a);
    const r = await this.http.request("GET", "/v1/znodes/?view=stat");
    if (r.zxid === null) throw new Error(`${this.name}: no ZK-Zxid on the first read (status ${r.status})`);
    this.frame.base = r.zxid;
  }

  async lastZxid(): Promise<number> {
    const r = await this.http.request("GET", "/v1/znodes/?view=stat");
    if (r.zxid === null) throw new Error(`${this.name}: no ZK-Zxid`);
    return this.frame.zxid(r.zxid);
  }

  violations(): string[] {
    return [...this.problems.splice(0), ...this.frame.times.take()];
  }

  private headersOf(actor: string): { headers: Record<string, string>; session?: Session } {
    const anon = this.anonymous.get(actor);
    if (anon) return { headers: anon.auth ? { authorization: basic(anon.auth) } : {} };
    const session = this.sessions.get(actor);
    if (!session) throw new Error(`${this.name}: no actor or session named ${actor}`);
    return { headers: { "zk-session": session.id, ...(session.auth ? { authorization: basic(session.auth) } : {}) }, session };
  }

  private stat(s: any, path: string): NStat {
    return this.frame.stat(rawStat(s), path);
  }

  /** The outcome's code and zxid, and a note when the HTTP status is not docs/api.md's for it. */
  private outcome(r: HttpReply, opName: string, failingOp?: string): NResult {
    const ok = r.status >= 200 && r.status < 300;
    const code = ok ? "OK" : typeof r.body === "object" && r.body && typeof r.body.code === "string" ? r.body.code : `HTTP ${r.status}: ${String(r.body).slice(0, 200)}`;
    const out: NResult = { code, zxid: r.zxid === null ? null : this.frame.zxid(r.zxid) };
    const want = expectedStatus(code, failingOp ?? opName);
    if (r.status !== want) out.httpStatus = `${r.status}, docs/api.md says ${want}`;
    return out;
  }

  async run(actor: string, op: Op): Promise<NResult> {
    if (op.op === "open") return this.open(actor, op.timeoutMs, op.auth);
    if (op.op === "reap") {
      if (!this.reap) throw new Error(`${this.name}: no scheduled job to run`);
      await this.reap();
      return { code: "OK", zxid: await this.lastZxid() };
    }
    const { headers, session } = this.headersOf(actor);
    const h = this.http;
    const q = (name: string, v: number | undefined) => (v === undefined ? "" : `?${name}=${v}`);
    switch (op.op) {
      case "close": {
        this.stopPinging(session!);
        if (session!.state === "live") session!.state = "closed";
        return this.outcome(await h.request("DELETE", `/v1/sessions/${session!.id}`, { headers }), "close");
      }
      case "ping": {
        const r = await h.request("POST", `/v1/sessions/${session!.id}/ping`, { headers });
        const out = this.outcome(r, "ping");
        if (out.code === "OK") out.timeoutMs = r.body.timeoutMs;
        return out;
      }
      case "inspect": {
        const r = await h.request("GET", `/v1/sessions/${session!.id}`, { headers });
        const out = this.outcome(r, "inspect");
        if (out.code === "OK") {
          out.timeoutMs = r.body.timeoutMs;
          out.ephemerals = [...r.body.ephemerals].sort();
        }
        return out;
      }
      case "expire":
        await this.expire(session!);
        return { code: "OK", zxid: await this.lastZxid() };
      case "create": {
        const json = { data: b64(bytesOf(op.data)), mode: op.mode ?? "persistent", ...(op.acl ? { acl: op.acl } : {}), ...(op.ttlMs !== undefined ? { ttlMs: op.ttlMs } : {}) };
        const url = urlPath("/v1/znodes", op.path);
        const r =
          op.via === "octets"
            ? await h.request("POST", `${url}?mode=${json.mode}${op.ttlMs !== undefined ? `&ttlMs=${op.ttlMs}` : ""}`, { bytes: bytesOf(op.data), headers })
            : await h.request("POST", url, { json, headers });
        const out = this.outcome(r, "create");
        if (out.code === "OK") Object.assign(out, { path: r.body.path, stat: this.stat(r.body.stat, r.body.path) });
        return out;
      }
      case "getData": {
        if (op.via === "octets") {
          const r = await h.request("GET", urlPath("/v1/znodes", op.path), { headers: { ...headers, accept: "application/octet-stream" } });
          const out = this.outcome(r, "getData");
          if (out.code === "OK") Object.assign(out, { data: b64(r.body instanceof Uint8Array ? r.body : new TextEncoder().encode(String(r.body))), stat: this.stat(JSON.parse(r.headers.get("zk-stat") ?? "null"), op.path) });
          return out;
        }
        const r = await h.request("GET", urlPath("/v1/znodes", op.path), { headers });
        const out = this.outcome(r, "getData");
        if (out.code === "OK") Object.assign(out, { data: r.body.data, stat: this.stat(r.body.stat, op.path) });
        return out;
      }
      case "exists": {
        if (op.via === "head") {
          const r = await h.request("HEAD", urlPath("/v1/znodes", op.path), { headers });
          // A HEAD answer has no body: its code is told by the status alone.
          const out: NResult = { code: r.status === 200 ? "OK" : r.status === 404 ? "NONODE" : `HTTP ${r.status}`, zxid: r.zxid === null ? null : this.frame.zxid(r.zxid) };
          if (out.code === "OK") out.stat = this.stat(JSON.parse(r.headers.get("zk-stat") ?? "null"), op.path);
          return out;
        }
        const r = await h.request("GET", `${urlPath("/v1/znodes", op.path)}?view=stat`, { headers });
        const out = this.outcome(r, "exists");
        if (out.code === "OK") out.stat = this.stat(r.body.stat, op.path);
        return out;
      }
      case "getChildren": {
        const r = await h.request("GET", `${urlPath("/v1/znodes", op.path)}?view=children`, { headers });
        const out = this.outcome(r, "getChildren");
        if (out.code === "OK") Object.assign(out, { children: [...r.body.children].sort(), stat: this.stat(r.body.stat, op.path) });
        return out;
      }
      case "setData": {
        const url = urlPath("/v1/znodes", op.path);
        const ifMatch = op.via === "if-match" && op.version !== undefined;
        const r =
          op.via === "octets"
            ? await h.request("PUT", url + q("version", op.version), { bytes: bytesOf(op.data), headers })
            : await h.request("PUT", url + (ifMatch ? "" : q("version", op.version)), { json: { data: b64(bytesOf(op.data)) }, headers: ifMatch ? { ...headers, "if-match": `"${op.version}"` } : headers });
        const out = this.outcome(r, "setData");
        if (out.code === "OK") out.stat = this.stat(r.body.stat, op.path);
        return out;
      }
      case "delete": {
        const ifMatch = op.via === "if-match" && op.version !== undefined;
        const url = urlPath("/v1/znodes", op.path) + (ifMatch ? "" : q("version", op.version));
        return this.outcome(await h.request("DELETE", url, { headers: ifMatch ? { ...headers, "if-match": `"${op.version}"` } : headers }), "delete");
      }
      case "getACL": {
        const r = await h.request("GET", urlPath("/v1/acl", op.path), { headers });
        const out = this.outcome(r, "getACL");
        if (out.code === "OK") Object.assign(out, { acl: nAcl(r.body.acl), stat: this.stat(r.body.stat, op.path) });
        return out;
      }
      case "setACL": {
        const r = await h.request("PUT", urlPath("/v1/acl", op.path) + q("aversion", op.aversion), { json: { acl: op.acl }, headers });
        const out = this.outcome(r, "setACL");
        if (out.code === "OK") out.stat = this.stat(r.body.stat, op.path);
        return out;
      }
      case "sync":
        return this.outcome(await h.request("POST", urlPath("/v1/sync", op.path), { headers }), "sync");
      case "watch": {
        const out = await this.run(actor, { op: WATCH_READ[op.kind], path: op.path });
        const zxid = out.zxid === null ? null : this.frame.base + BigInt(out.zxid);
        this.watches.set(op.name, { kind: op.kind, path: op.path, zxid, session: session?.id, set: watchIsSet(op.kind, out.code) });
        return out;
      }
      case "addWatch": {
        const r = await h.request("GET", `${urlPath("/v1/events", op.path)}?recursive=${op.recursive}&timeoutMs=1`, { headers });
        const out = r.status === 200 ? { code: "OK", zxid: r.zxid === null ? null : this.frame.zxid(r.zxid) } : this.outcome(r, "addWatch");
        this.watches.set(op.name, { kind: "data", path: op.path, zxid: r.zxid, session: session?.id, set: out.code === "OK", persistent: { recursive: op.recursive } });
        return out;
      }
      case "events": {
        const w = this.watches.get(op.name);
        if (!w) throw new Error(`events: no watch named ${op.name}`);
        // A session that is not live is refused (410) before anything else.
        const live = session === undefined || session.state === "live";
        // ZooKeeper forgets a session's watches with it; this side is only told so.
        if (live && w.session !== session?.id) return { code: "OK", zxid: await this.lastZxid(), event: "gone" };
        if (live && (!w.set || w.zxid === null)) return { code: "OK", zxid: await this.lastZxid(), event: w.set ? "BAD: the read had no ZK-Zxid" : "unset" };
        if (w.persistent) {
          const r = await h.request("GET", `${urlPath("/v1/events", w.path)}?recursive=${w.persistent.recursive}&zxid=${w.zxid}&timeoutMs=${EVENTS_STREAM_MS}`, { headers });
          if (r.status !== 200) return this.outcome(r, "events");
          return { code: "OK", zxid: await this.lastZxid(), heard: sseEvents(String(r.body)) };
        }
        // Events already in history are answered at once; 1 ms only bounds the wait for new ones.
        const r = await h.request("GET", `${urlPath("/v1/watch", w.path)}?type=${w.kind}${w.zxid === null ? "" : `&zxid=${w.zxid}`}&timeoutMs=1`, { headers });
        if (r.status === 204) return { code: "OK", zxid: r.zxid === null ? null : this.frame.zxid(r.zxid), event: "none" };
        const out = this.outcome(r, "events");
        if (out.code === "OK") out.event = `${r.body.type} ${r.body.path}`;
        return out;
      }
      case "multi": {
        const r = await h.request("POST", "/v1/multi", { json: { ops: op.ops.map(multiOpJson) }, headers });
        const ok = r.status >= 200 && r.status < 300;
        const results: any[] | undefined = r.body?.results;
        // A failed multi has the status its first failing op would have alone.
        const failing = ok || !results ? undefined : op.ops[results.findIndex((x) => x.code !== "OK")]?.op;
        const out = this.outcome(r, "multi", failing);
        if (ok) {
          out.results = (results ?? []).map((x, i): NMultiResult => {
            const res: NMultiResult = { op: x.op, path: x.path };
            if (x.stat) res.stat = this.stat(x.stat, x.path ?? op.ops[i]!.path);
            return res;
          });
        } else if (results) {
          out.results = results.map((x) => ({ code: x.code }));
        }
        return out;
      }
      case "multiRead": {
        const r = await h.request("POST", "/v1/multi/read", { json: { ops: op.ops }, headers });
        const out = this.outcome(r, "multiRead");
        if (out.code === "OK") {
          out.results = (r.body.results as any[]).map((x, i): NReadResult => {
            const path = op.ops[i]!.path;
            if (x.error) return { op: x.op, code: x.error.code };
            if (x.op === "getChildren") return { op: x.op, code: "OK", children: [...x.children].sort(), stat: this.stat(x.stat, path) };
            return { op: x.op, code: "OK", data: x.data, stat: this.stat(x.stat, path) };
          });
        }
        return out;
      }
    }
  }

  private async open(label: string, timeoutMs: number, auth?: string): Promise<NResult> {
    const existing = this.sessions.get(label);
    if (existing?.state === "live") throw new Error(`open: session ${existing.owner} is still live`);
    const r = await this.http.request("POST", "/v1/sessions", { json: { timeoutMs }, headers: auth ? { authorization: basic(auth) } : {} });
    const out = this.outcome(r, "open");
    if (out.code !== "OK") return out;
    const session: Session = { label, id: r.body.id, owner: this.frame.sessions.add(label, BigInt(r.body.id)), timeoutMs: r.body.timeoutMs, auth, state: "live" };
    this.sessions.set(label, session);
    this.startPinging(session);
    out.timeoutMs = r.body.timeoutMs;
    return out;
  }

  private startPinging(session: Session): void {
    let busy = false;
    session.pinger = setInterval(
      () => {
        if (busy || session.state !== "live") return;
        busy = true;
        this.http
          .request("POST", `/v1/sessions/${session.id}/ping`)
          .then((r) => {
            if (r.status === 410 && session.state === "live") {
              session.state = "expired";
              this.problems.push(`${this.name}: session ${session.owner} expired though pinged every ${Math.floor(session.timeoutMs / 3)} ms`);
            }
          })
          .catch((e) => this.unavailable.push(`${this.name}: ping of ${session.owner} failed: ${e}`))
          .finally(() => (busy = false));
      },
      Math.max(100, Math.floor(session.timeoutMs / 3)),
    );
    session.pinger.unref();
  }

  private stopPinging(session: Session): void {
    if (session.pinger) clearInterval(session.pinger);
    session.pinger = undefined;
  }

  private async expire(session: Session): Promise<void> {
    if (session.state !== "live") throw new Error(`expire: session ${session.owner} is already ${session.state}`);
    this.stopPinging(session);
    session.state = "expired";
    const deadline = Date.now() + EXPIRY_DEADLINE_MS;
    for (;;) {
      const r = await this.http.request("GET", `/v1/sessions/${session.id}`);
      if (r.status === 410) return;
      if (r.status !== 200) throw new Error(`${this.name}: GET /v1/sessions/${session.id} answered ${r.status} while waiting for expiry`);
      if (Date.now() > deadline) throw new Error(`${this.name}: session ${session.owner} did not expire within ${EXPIRY_DEADLINE_MS} ms`);
      await sleep(100);
    }
  }

  async snapshot(roots: string[], withAcl: boolean): Promise<NSnapshot> {
    const out: NSnapshot = {};
    let level = roots;
    while (level.length > 0) {
      const r = await this.http.request("POST", "/v1/multi/read", { json: { ops: level.flatMap((path) => [{ op: "getData", path }, { op: "getChildren", path }]) } });
      if (r.status !== 200) throw new Error(`${this.name}: snapshot multi/read answered ${r.status}: ${JSON.stringify(r.body)}`);
      const results: any[] = r.body.results;
      const next: string[] = [];
      await Promise.all(
        level.map(async (path, i) => {
          const d = results[2 * i];
          const c = results[2 * i + 1];
          let node: NNode;
          if (!d.error) {
            node = { code: "OK", data: d.data, stat: this.stat(d.stat, path), children: c.error ? undefined : [...c.children].sort() };
          } else if (d.error.code === "NOAUTH") {
            const e = await this.http.request("GET", `${urlPath("/v1/znodes", path)}?view=stat`);
            node = { code: "NOAUTH", ...(e.status === 200 ? { stat: this.stat(e.body.stat, path) } : {}) };
          } else {
            node = { code: d.error.code };
          }
          if (withAcl) {
            const a = await this.http.request("GET", urlPath("/v1/acl", path));
            if (a.status === 200) node.acl = nAcl(a.body.acl);
            else node.aclCode = a.body?.code ?? `HTTP ${a.status}`;
          }
          out[path] = node;
          for (const child of node.children ?? []) next.push(path === "/" ? `/${child}` : `${path}/${child}`);
        }),
      );
      level = next;
    }
    return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }

  async end(): Promise<void> {
    for (const s of this.sessions.values()) {
      this.stopPinging(s);
      if (s.state === "live") {
        s.state = "closed";
        await this.http.request("DELETE", `/v1/sessions/${s.id}`).catch(() => undefined);
      }
    }
  }
}
