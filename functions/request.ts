// Turning an HTTP request into lib/ arguments: the znode path in the URL,
// the session, query parameters, bodies and data encodings. Every refusal is a
// ZkError, so app.ts answers it in one place.
import type { Context } from "hono";
import type { z } from "@hono/zod-openapi";
import { fromBase64, toBase64 } from "../lib/base64.js";
import { ZkError } from "../lib/errors.js";
import type { Stat } from "../lib/model.js";
import type { AppEnv } from "./env.js";
import { HttpError } from "./errors.js";

/**
 * The one decoded form of a request's path: routes match it and znode paths
 * are cut from it. Escapes of unreserved characters are decoded (RFC 3986
 * makes `%7A` and `z` the same URI); every other escape stays, for the znode
 * path to decode exactly once. The URL parser has already resolved dot
 * segments (WHATWG), as every client does.
 */
export function routingPath(request: Request): string {
  return new URL(request.url).pathname.replace(/%([0-9A-Fa-f]{2})/g, (escape, hex: string) => {
    const ch = String.fromCharCode(parseInt(hex, 16));
    return /^[A-Za-z0-9._~-]$/.test(ch) ? ch : escape;
  });
}

/** The znode path after a route prefix: percent-decoded once, not yet validated. */
export function znodePathOf(c: Context, prefix: string): string {
  // c.req.path is routingPath's string: the prefix the route matched is its first characters.
  const rest = c.req.path.slice(prefix.length);
  let decoded: string;
  try {
    decoded = decodeURIComponent(rest);
  } catch {
    throw new ZkError("BADARGUMENTS", `the path ${JSON.stringify(rest)} is not valid percent-encoded UTF-8`);
  }
  return decoded === "" ? "/" : decoded;
}

const INT64_MAX = (1n << 63n) - 1n;

/** A session id or other int64 ≥ 0 given as a decimal string. */
export function parseInt64(raw: string, what: string): bigint {
  if (!/^\d{1,19}$/.test(raw) || BigInt(raw) > INT64_MAX) {
    throw new ZkError("BADARGUMENTS", `${what} must be a decimal int64 ≥ 0, not ${JSON.stringify(raw)}`);
  }
  return BigInt(raw);
}

/** The session a request names, by `ZK-Session` or `?session=`. */
export function namedSession(c: Context): bigint | undefined {
  const fromQuery = c.req.queries("session") ?? [];
  if (fromQuery.length > 1) throw new ZkError("BADARGUMENTS", `query parameter session given ${fromQuery.length} times; give it once`);
  const raw = c.req.header("zk-session") ?? fromQuery[0];
  return raw === undefined ? undefined : parseInt64(raw.trim(), "ZK-Session");
}

function zodMessage(error: z.ZodError): string {
  return error.issues.map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message)).join("; ");
}

/** Known query parameters, each at most once, parsed by `schema`. */
export function queryOf<S extends z.ZodObject>(c: Context, schema: S): z.output<S> {
  const all = c.req.queries();
  const known: Record<string, string> = {};
  for (const name of Object.keys(schema.shape)) {
    const values = all[name];
    if (!values) continue;
    if (values.length > 1) throw new ZkError("BADARGUMENTS", `query parameter ${name} given ${values.length} times; give it once`);
    known[name] = values[0]!;
  }
  const parsed = schema.safeParse(known);
  if (!parsed.success) throw new ZkError("BADARGUMENTS", `query: ${zodMessage(parsed.error)}`);
  return parsed.data;
}

export type Body = { kind: "json"; value: unknown } | { kind: "bytes"; value: Uint8Array } | { kind: "none" };

/**
 * Reads a body of at most `maxBytes`, refusing a larger one before reading it
 * when Content-Length says so. `octetStream` allows raw bytes (create, set).
 */
export async function bodyOf(c: Context<AppEnv>, routeMax: number, octetStream = false): Promise<Body> {
  // The route's own bound (what its data can need), within the configured one for every route.
  const configured = c.get("config").maxBodyBytes;
  const maxBytes = Math.min(routeMax, configured);
  const which = maxBytes === configured ? " (ZK_MAX_BODY_BYTES)" : "";
  if (c.req.header("content-encoding")) {
    throw new HttpError("UNSUPPORTEDMEDIATYPE", "Content-Encoding is not supported; send the body uncompressed");
  }
  const type = (c.req.header("content-type") ?? "application/json").split(";")[0]!.trim().toLowerCase();
  const raw = type === "application/octet-stream" && octetStream;
  if (!raw && type !== "application/json") {
    throw new HttpError("UNSUPPORTEDMEDIATYPE", `Content-Type ${type} is not accepted here; send application/json${octetStream ? " or application/octet-stream" : ""}`);
  }
  const length = c.req.header("content-length");
  if (length !== undefined && Number(length) > maxBytes) {
    throw new ZkError("TOOLARGE", `the body is ${length} bytes; at most ${maxBytes} are accepted here${which}`);
  }
  const bytes = length !== undefined ? await readWhole(c.req.raw, maxBytes, which) : await readCapped(c.req.raw, maxBytes, which);
  if (raw) return { kind: "bytes", value: bytes };
  if (bytes.length === 0) return { kind: "none" };
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw new ZkError("BADARGUMENTS", "the body is not valid JSON");
  }
  return { kind: "json", value };
}

/**
 * A body whose Content-Length is within bounds, read in one piece: the HTTP
 * layer holds it to that length, and on Node arrayBuffer() reads the socket
 * directly where the body stream would first build a whole fetch Request
 * (about a tenth of a create's CPU in a profile). Checked again all the same.
 */
async function readWhole(req: Request, maxBytes: number, which: string): Promise<Uint8Array> {
  const bytes = new Uint8Array(await req.arrayBuffer());
  if (bytes.length > maxBytes) throw new ZkError("TOOLARGE", `the body exceeds ${maxBytes} bytes, the most accepted here${which}`);
  return bytes;
}

/** A body of unknown length, read until it passes `maxBytes`. */
async function readCapped(req: Request, maxBytes: number, which: string): Promise<Uint8Array> {
  if (!req.body) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = req.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > maxBytes) {
      await reader.cancel();
      throw new ZkError("TOOLARGE", `the body exceeds ${maxBytes} bytes, the most accepted here${which}`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/** A JSON body checked by `schema`; an absent body is `{}`. */
export function jsonOf<S extends z.ZodType>(body: Body, schema: S): z.output<S> {
  const value = body.kind === "json" ? body.value : {};
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ZkError("BADARGUMENTS", "the body must be a JSON object");
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new ZkError("BADARGUMENTS", `body: ${zodMessage(parsed.error)}`);
  return parsed.data;
}

export type Encoding = "base64" | "utf8";

/** The largest JSON body that can carry `maxData` bytes of data, plus room for the other fields. */
export function jsonBodyLimit(maxData: number): number {
  return Math.ceil(maxData / 3) * 4 + 64 * 1024;
}

export function decodeData(data: string | null | undefined, encoding: Encoding): Uint8Array {
  if (data === null || data === undefined) return new Uint8Array();
  if (encoding === "utf8") return new TextEncoder().encode(data);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(data) || (data.includes("=") ? data.length % 4 !== 0 : data.length % 4 === 1)) {
    throw new ZkError("BADARGUMENTS", "data must be standard base64 (A–Z a–z 0–9 + /, optional = padding, no whitespace)");
  }
  return fromBase64(data);
}

export function encodeData(data: Uint8Array, encoding: Encoding, path: string): string {
  if (encoding === "utf8") {
    try {
      return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(data);
    } catch {
      throw new ZkError("BADARGUMENTS", `the data of ${path} is not UTF-8; read it as base64 (drop ?encoding=utf8)`, path);
    }
  }
  return toBase64(data);
}

export function statJson(s: Stat) {
  return {
    czxid: s.czxid.toString(),
    mzxid: s.mzxid.toString(),
    pzxid: s.pzxid.toString(),
    ctime: s.ctime,
    mtime: s.mtime,
    version: s.version,
    cversion: s.cversion,
    aversion: s.aversion,
    ephemeralOwner: s.ephemeralOwner.toString(),
    dataLength: s.dataLength,
    numChildren: s.numChildren,
  };
}

/** How long a watch poll or event stream lasts: `timeoutMs`, 30 s when absent, at most the configured maximum (docs/api.md). */
export function waitMsOf(c: Context<AppEnv>, timeoutMs: number | undefined): number {
  return Math.min(timeoutMs ?? 30_000, c.get("config").maxWatchTimeoutMs);
}

/**
 * A signal that aborts after `ms` or when the caller hangs up; `end()` frees
 * its timer. (Node 20's AbortSignal.any holds its sources weakly: a
 * timeout signal only it refers to can be collected and never fire.)
 */
export function deadline(c: Context, ms: number): { signal: AbortSignal; end(): void } {
  const controller = new AbortController();
  const abort = () => controller.abort();
  const timer = setTimeout(abort, ms);
  const hangUp = c.req.raw.signal;
  hangUp.addEventListener("abort", abort, { once: true });
  if (hangUp.aborted) abort();
  return {
    signal: controller.signal,
    end() {
      clearTimeout(timer);
      hangUp.removeEventListener("abort", abort);
    },
  };
}
