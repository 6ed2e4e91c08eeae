// The gateway transport: etcd's JSON gRPC gateway over fetch, so it runs in
// Cloudflare Workers. It carries calls (client.ts does the rest) and owns
// what is particular to HTTP: auth tokens per endpoint, telling a request
// that was never sent from one that may have been applied, and a workerd
// connection-pool workaround.
import { fromBase64, toBase64 } from "../base64.js";
import { createEtcd, type Carrier, type EtcdOptions } from "./client.js";
import { classifyEtcdError, EndpointFailure, EtcdUnavailableError, isInvalidAuthToken } from "./errors.js";
import type { Etcd } from "./types.js";
import type { BytesCodec, UnaryMethod, WireWatchResponse } from "./wire.js";

const base64: BytesCodec<string> = {
  encode: toBase64,
  decode: (wire) => (wire ? fromBase64(wire) : new Uint8Array(0)),
};

const PATHS: Record<UnaryMethod, string> = {
  txn: "/v3/kv/txn",
  leaseGrant: "/v3/lease/grant",
  leaseKeepAlive: "/v3/lease/keepalive",
  leaseRevoke: "/v3/lease/revoke",
  leaseTimeToLive: "/v3/lease/timetolive",
  compact: "/v3/kv/compaction",
};

/** Throws what an answer's error field stands for. Unary calls answer {error, code, message}; streamed ones {error: {message, http_code}}. */
function throwIfError(json: Record<string, unknown>, status: number): void {
  const error = json.error as string | { message?: string; http_code?: number } | undefined;
  if (status < 400 && error === undefined) return;
  const message = typeof error === "object" ? (error.message ?? JSON.stringify(error)) : (error ?? `HTTP ${status}`);
  const httpCode = typeof error === "object" ? (error.http_code ?? status) : status;
  throw classifyEtcdError(message, httpCode >= 500) ?? new Error(message);
}

// etcd 3.4's gateway (grpc-gateway 1.x) answers an error with a chunked body ending
// in an HTTP trailer. workerd's HTTP client leaves the trailer unread and pools the
// connection; the next request on it reaches etcd (and may be applied), but its
// answer fails with "Invalid response status line". "Connection: close" does not
// help. So in Workers, after an error answer, a throwaway GET takes that connection
// out of the pool before any real request can pick it.
const workersRuntime = typeof navigator !== "undefined" && navigator.userAgent === "Cloudflare-Workers";

// Node's fetch names the cause of a failed connection; no request was sent then.
// workerd reports every network failure as "Network connection lost.", so a write
// whose attempt failed there is only known not to have been sent when a probe came first.
const NOT_CONNECTED = new Set(["ECONNREFUSED", "ENOTFOUND", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN", "UND_ERR_CONNECT_TIMEOUT"]);
// TLS refused (an untrusted or misnamed certificate, a client certificate
// missing or refused): etcd reads no request before its handshake succeeds.
const TLS_REFUSED = /^(ERR_SSL_|ERR_TLS_|UNABLE_TO_|SELF_SIGNED_CERT|DEPTH_ZERO_SELF_SIGNED_CERT|CERT_)/;

export interface GatewayEtcdOptions extends EtcdOptions {
  /** Base URLs such as http://127.0.0.1:2379. */
  endpoints: string[];
  fetch?: typeof fetch;
  /** Per request, including reading the answer. Default 5000. */
  timeoutMs?: number;
  auth?: { user: string; password: string };
}

export function createGatewayEtcd(opts: GatewayEtcdOptions): Etcd {
  return createEtcd(gatewayCarrier(opts), opts);
}

function gatewayCarrier(opts: GatewayEtcdOptions): Carrier<string> {
  const endpoints = opts.endpoints.map((e) => e.replace(/\/+$/, ""));
  const timeoutMs = opts.timeoutMs ?? 5000;
  // Called through a closure: workerd throws "Illegal invocation" when its fetch is called as a method.
  const doFetch = opts.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  const auth = opts.auth;
  // etcd's default "simple" tokens are only valid on the member that issued them.
  const tokens: (Promise<string> | undefined)[] = endpoints.map(() => undefined);
  // Whether the last request to each endpoint got an HTTP answer.
  const answered: boolean[] = endpoints.map(() => false);

  function networkFailure(i: number, e: unknown): EndpointFailure {
    answered[i] = false;
    const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
    if (err.name === "TimeoutError" || err.name === "AbortError") {
      return new EndpointFailure(`${endpoints[i]}: no answer within ${timeoutMs} ms`, true);
    }
    const code = err.cause?.code ?? "";
    const notSent = NOT_CONNECTED.has(code) || TLS_REFUSED.test(code);
    // Node's "fetch failed" says nothing by itself; its cause says what (a certificate error among them).
    const cause = err.cause?.message ? `: ${err.cause.message}` : "";
    return new EndpointFailure(`${endpoints[i]}: ${err.message ?? String(e)}${cause}${code ? ` (${code})` : ""}`, !notSent);
  }

  /** GET /version: cheap (no raft, no auth), so it serves as a probe and as a sacrificial request. */
  async function version(i: number): Promise<void> {
    try {
      await (await doFetch(`${endpoints[i]}/version`, { signal: AbortSignal.timeout(timeoutMs) })).text();
      answered[i] = true;
    } catch (e) {
      throw networkFailure(i, e);
    }
  }

  function headersWith(token: string | undefined): Record<string, string> {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (token !== undefined) headers.authorization = token;
    return headers;
  }

  /** An answer's JSON, or the error it stands for. */
  async function answerOf(i: number, url: string, status: number, text: string): Promise<Record<string, unknown>> {
    answered[i] = true;
    // Expected to fail: it is the request that meets the leftover trailer (see workersRuntime).
    if (workersRuntime && status >= 400) await version(i).catch(() => undefined);
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      const message = `${url}: HTTP ${status}, not JSON: ${text.slice(0, 200)}`;
      throw status >= 500 ? new EndpointFailure(message, true) : new Error(message);
    }
    throwIfError(json, status);
    return json;
  }

  async function send(i: number, path: string, body: unknown, token?: string): Promise<Record<string, unknown>> {
    const url = endpoints[i] + path;
    let status: number;
    let text: string;
    try {
      const res = await doFetch(url, {
        method: "POST",
        headers: headersWith(token),
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
      status = res.status;
      text = await res.text();
    } catch (e) {
      throw networkFailure(i, e);
    }
    return answerOf(i, url, status, text);
  }

  function token(i: number): Promise<string> {
    const { user, password } = auth!;
    const pending = (tokens[i] ??= send(i, "/v3/auth/authenticate", { name: user, password }).then((r) => r.token as string));
    pending.catch(() => {
      if (tokens[i] === pending) tokens[i] = undefined;
    });
    return pending;
  }

  /** Runs `fn` with endpoint i's auth token, if any. */
  async function authorized<T>(i: number, fn: (token?: string) => Promise<T>): Promise<T> {
    if (auth === undefined) return fn();
    const used = token(i);
    try {
      return await fn(await used);
    } catch (e) {
      // Tokens expire (--auth-token-ttl); fetch a new one once.
      if (!isInvalidAuthToken(e)) throw e;
      if (tokens[i] === used) tokens[i] = undefined;
      return fn(await token(i));
    }
  }

  async function tokenFor(i: number): Promise<string> {
    try {
      return await token(i);
    } catch (e) {
      throw e instanceof EndpointFailure || e instanceof EtcdUnavailableError ? e : new EndpointFailure(`${endpoints[i]}: authentication failed: ${(e as Error).message}`, false);
    }
  }

  /** An expired token is dropped, and the stream fails over (to a fresh token) like a broken one. */
  function refreshOnBadToken(i: number) {
    return (e: unknown): never => {
      if (isInvalidAuthToken(e)) {
        tokens[i] = undefined;
        throw new EndpointFailure(`${endpoints[i]}: ${(e as Error).message}`, false);
      }
      throw e;
    };
  }

  return {
    endpoints: endpoints.length,
    bytes: base64,

    /**
     * A write goes only to an endpoint that just answered, else a probe first:
     * a failed probe proves the write was never sent, so failover may move on;
     * a failed write may have been applied, so it may not.
     */
    async unary(i, method, req, idempotent) {
      if (!idempotent && !answered[i]) {
        await version(i).catch((e: EndpointFailure) => {
          throw new EndpointFailure(e.message, false);
        });
      }
      const json = await authorized(i, (t) => send(i, PATHS[method], req, t));
      // The gateway wraps a streamed call's one answer (keepalive) in "result".
      return (method === "leaseKeepAlive" ? (json.result ?? {}) : json) as never;
    },

    async *watch(i, creates, signal) {
      const url = `${endpoints[i]}/v3/watch`;
      let res: Response;
      try {
        const token = auth === undefined ? undefined : await tokenFor(i);
        // Several create requests in one body: the gateway sends each on to the stream.
        const body = creates.map((c) => JSON.stringify(c)).join("\n");
        // No timeout: the caller's signal ends the stream.
        res = await doFetch(url, { method: "POST", headers: headersWith(token), body, signal });
      } catch (e) {
        if (signal.aborted) return;
        throw e instanceof EndpointFailure ? e : networkFailure(i, e);
      }
      if (res.status >= 400 || res.body === null) {
        await answerOf(i, url, res.status, await res.text()).catch(refreshOnBadToken(i));
        throw new EndpointFailure(`${url}: HTTP ${res.status} without a watch stream`, false);
      }
      answered[i] = true;
      // The gateway streams one JSON message per line.
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffered = "";
      try {
        for (;;) {
          let chunk;
          try {
            chunk = await reader.read();
          } catch (e) {
            if (signal.aborted) return;
            throw networkFailure(i, e);
          }
          if (chunk.done) throw new EndpointFailure(`${url}: the watch stream ended`, false);
          buffered += chunk.value;
          let newline: number;
          while ((newline = buffered.indexOf("\n")) >= 0) {
            const line = buffered.slice(0, newline).trim();
            buffered = buffered.slice(newline + 1);
            if (line === "") continue;
            const message = JSON.parse(line) as Record<string, unknown>;
            try {
              throwIfError(message, 200);
            } catch (e) {
              refreshOnBadToken(i)(e);
            }
            const result = (message.result ?? {}) as WireWatchResponse;
            // etcd cancels a watch created with an expired token; the retry gets a new one.
            if (result.canceled && isInvalidAuthToken(result.cancel_reason ?? "")) tokens[i] = undefined;
            yield result;
          }
        }
      } finally {
        reader.cancel().catch(() => undefined);
      }
    },

    async close() {
      // fetch holds nothing open between calls.
    },
  };
}
