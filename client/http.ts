// One HTTP exchange with the service: URL building, credentials, and turning
// every failure into a ZkError. Retrying is the caller's decision (client.ts),
// because only it knows whether the request can safely be sent again.
import { fromText, toBase64 } from "./bytes.js";
import { ConnectionLossError, zkError, type OpCode } from "./errors.js";

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface HttpOptions {
  url: string;
  user?: string;
  password?: string;
  fetch?: FetchLike;
  /** Longest wait for an ordinary request's answer. Default 30,000 ms. */
  requestTimeoutMs?: number;
}

export interface HttpRequest {
  method: string;
  /** Already encoded, e.g. /v1/znodes/a/b. */
  path: string;
  query?: Record<string, string | number | boolean | bigint | undefined>;
  json?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Overrides requestTimeoutMs; 0 for none (long polls and streams set their own). */
  timeoutMs?: number;
}

/**
 * A failure with no answer from the service. `unsent` is true when the request
 * certainly never reached it (the connection was refused), so resending it is
 * safe even for a write.
 */
export class Unanswered extends ConnectionLossError {
  constructor(message: string, readonly unsent: boolean, cause: unknown) {
    super(message, { cause, outcomeUnknown: !unsent });
  }
}

/** `/a/b` as the URL path under `prefix`, each segment percent-encoded. */
export function encodePath(prefix: string, path: string): string {
  if (path === "/") return `${prefix}/`;
  return prefix + path.split("/").map(encodeURIComponent).join("/");
}

export class Http {
  readonly base: string;
  private readonly authorization?: string;
  private readonly fetchImpl: FetchLike;
  private readonly requestTimeoutMs: number;
  /** Highest ZK-Zxid seen on any answer. */
  lastZxid = -1n;

  constructor(options: HttpOptions) {
    this.base = options.url.replace(/\/+$/, "");
    if (options.user !== undefined) {
      this.authorization = `Basic ${toBase64(fromText(`${options.user}:${options.password ?? ""}`))}`;
    }
    // Never call a platform fetch as a method of another object: workerd throws "Illegal invocation".
    this.fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  }

  url(path: string, query?: HttpRequest["query"]): string {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) params.set(k, String(v));
    const qs = params.toString();
    return `${this.base}${path}${qs ? `?${qs}` : ""}`;
  }

  /**
   * Sends once. Answers a 2xx Response; throws the ZkError of an error answer,
   * or an Unanswered when there was no answer.
   */
  async send(req: HttpRequest): Promise<Response> {
    const headers: Record<string, string> = { ...req.headers };
    if (this.authorization) headers.authorization = this.authorization;
    let body: string | undefined;
    if (req.json !== undefined) {
      body = JSON.stringify(req.json);
      headers["content-type"] = "application/json";
    }
    const timeoutMs = Math.ceil(req.timeoutMs ?? this.requestTimeoutMs);
    const signals = [req.signal, timeoutMs > 0 ? AbortSignal.timeout(timeoutMs) : undefined].filter((s): s is AbortSignal => !!s);
    const signal = signals.length === 0 ? undefined : signals.length === 1 ? signals[0] : anySignal(signals);
    let res: Response;
    try {
      res = await this.fetchImpl(this.url(req.path, req.query), { method: req.method, headers, body, signal });
    } catch (e) {
      // The caller's own abort is not a connection problem: let it through as is.
      if (req.signal?.aborted) throw req.signal.reason ?? e;
      throw new Unanswered(`${req.method} ${req.path}: no answer from ${this.base} (${describe(e)})`, refused(e), e);
    }
    this.noteZxid(res);
    if (res.ok) return res;
    throw await errorFrom(res, `${req.method} ${req.path}`);
  }

  /** send(), then the JSON body (undefined for 204). */
  async json<T>(req: HttpRequest): Promise<{ body: T; zxid: bigint; status: number }> {
    const res = await this.send(req);
    const zxid = zxidOf(res);
    if (res.status === 204) return { body: undefined as T, zxid, status: 204 };
    let body: T;
    try {
      body = (await res.json()) as T;
    } catch (e) {
      if (req.signal?.aborted) throw req.signal.reason ?? e;
      throw new Unanswered(`${req.method} ${req.path}: the answer broke off (${describe(e)})`, false, e);
    }
    return { body, zxid, status: res.status };
  }

  noteZxid(res: Response): void {
    const z = zxidOf(res);
    if (z > this.lastZxid) this.lastZxid = z;
  }
}

export function zxidOf(res: Response): bigint {
  const h = res.headers.get("zk-zxid");
  return h && /^-?\d+$/.test(h) ? BigInt(h) : -1n;
}

interface ErrorBody {
  code?: string;
  message?: string;
  path?: string;
  results?: OpCode[];
  requestId?: string;
}

const STATUS_CODES: Record<number, string> = {
  400: "BADARGUMENTS",
  401: "AUTHFAILED",
  403: "NOAUTH",
  404: "NOTFOUND",
  405: "METHODNOTALLOWED",
  410: "SESSIONEXPIRED",
  412: "BADVERSION",
  413: "TOOLARGE",
  415: "UNSUPPORTEDMEDIATYPE",
  503: "CONNECTIONLOSS",
  504: "OPERATIONTIMEOUT",
};

export async function errorFrom(res: Response, what: string): Promise<Error> {
  let body: ErrorBody = {};
  try {
    const text = await res.text();
    if (text) body = JSON.parse(text) as ErrorBody;
  } catch {
    // Not the service's JSON (a proxy's page, a cut body): the status alone decides.
  }
  const code = typeof body.code === "string" ? body.code : (STATUS_CODES[res.status] ?? "SYSTEMERROR");
  const message = body.message ?? `${what}: HTTP ${res.status}`;
  const zxid = zxidOf(res);
  const init = { status: res.status, path: body.path, results: body.results, requestId: body.requestId, zxid: zxid < 0n ? undefined : zxid };
  // A 503 may be a write etcd received whose answer was lost (docs/api.md).
  if (code === "CONNECTIONLOSS") return new ConnectionLossError(message, { ...init, outcomeUnknown: true });
  return zkError(code, message, init);
}

/** A connection refused never reached the service. Node puts the errno on `cause`. */
function refused(e: unknown): boolean {
  for (let c: any = e, i = 0; c && i < 4; c = c.cause, i++) {
    if (c.code === "ECONNREFUSED" || /ECONNREFUSED|connection refused/i.test(String(c.message ?? ""))) return true;
  }
  return false;
}

function describe(e: unknown): string {
  const parts: string[] = [];
  for (let c: any = e, i = 0; c && i < 4; c = c.cause, i++) parts.push(String(c.code ?? c.message ?? c));
  return parts.join(": ");
}

function anySignal(signals: AbortSignal[]): AbortSignal {
  const any = (AbortSignal as unknown as { any?: (s: AbortSignal[]) => AbortSignal }).any;
  if (any) return any(signals);
  const ctl = new AbortController();
  for (const s of signals) {
    if (s.aborted) ctl.abort(s.reason);
    else s.addEventListener("abort", () => ctl.abort(s.reason), { once: true });
  }
  return ctl.signal;
}
