// Requests that Node's HTTP parser refuses (a control character in the
// target, malformed headers, headers too large), or that @hono/node-server
// cannot make a Request of (a raw backslash in the path), never reach the app.
// They still get the contract's error body and ZK-Zxid: the parser's refusals
// written on the socket before it is closed, as long as it can take them.
import type { Server } from "node:http";
import { RequestError } from "@hono/node-server";
import type { Duplex } from "node:stream";
import { zkCodeNumber } from "../lib/errors.js";

interface Refusal {
  status: number;
  reason: string;
  code: string;
  message: string;
}

function refusalOf(err: Error & { code?: string; reason?: string }): Refusal {
  const detail = `${err.code ?? "error"}${err.reason ? `: ${err.reason}` : ""}`;
  switch (err.code) {
    case "HPE_HEADER_OVERFLOW":
      return { status: 431, reason: "Request Header Fields Too Large", code: "TOOLARGE", message: `the request's headers are larger than the server accepts (${detail})` };
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return { status: 408, reason: "Request Timeout", code: "OPERATIONTIMEOUT", message: "the request did not arrive in time" };
    default:
      return {
        status: 400,
        reason: "Bad Request",
        code: "BADARGUMENTS",
        message: `the HTTP request could not be parsed (${detail}); percent-encode characters such as \\, spaces and control characters in the path`,
      };
  }
}

/**
 * Answers what the parser refuses with a JSON error. `lastZxid` gives the
 * ZK-Zxid header ("-1" when etcd cannot say).
 */
export function answerClientErrors(server: Server, lastZxid: () => Promise<string>): void {
  server.on("clientError", (err: Error & { code?: string }, socket: Duplex) => {
    // The peer is gone, or a response was already under way: nothing to say.
    if (err.code === "ECONNRESET" || !socket.writable || (err.code === "ERR_HTTP_REQUEST_TIMEOUT" && socket.writableLength > 0)) {
      socket.destroy();
      return;
    }
    const r = refusalOf(err);
    void lastZxid()
      .catch(() => "-1")
      .then((zxid) => {
        if (!socket.writable) return socket.destroy();
        const body = JSON.stringify({ code: r.code, zkCode: zkCodeNumber(r.code), message: r.message });
        socket.end(
          `HTTP/1.1 ${r.status} ${r.reason}\r\n` +
            "Content-Type: application/json\r\n" +
            `Content-Length: ${Buffer.byteLength(body)}\r\n` +
            `ZK-Zxid: ${zxid}\r\n` +
            "Connection: close\r\n\r\n" +
            body,
        );
      });
  });
}

/**
 * @hono/node-server's errorHandler: a request it could not turn into a
 * Request is the caller's fault (400); anything else thrown before the app
 * answered is the server's.
 */
export async function unparsableRequest(err: unknown, lastZxid: () => Promise<string>): Promise<Response> {
  const zxid = await lastZxid().catch(() => "-1");
  const why = err instanceof Error ? err.message : String(err);
  const refused = err instanceof RequestError;
  if (!refused) console.error("request failed before the app answered:", err);
  const code = refused ? "BADARGUMENTS" : "SYSTEMERROR";
  const message = refused ? `the request target cannot be read (${why}); percent-encode characters such as \\ in the path` : "internal error";
  return new Response(JSON.stringify({ code, zkCode: zkCodeNumber(code), message }), {
    status: refused ? 400 : 500,
    headers: { "Content-Type": "application/json", "ZK-Zxid": zxid },
  });
}
