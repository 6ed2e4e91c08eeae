// The one place an error becomes an HTTP status and body (docs/api.md, Errors).
// lib/ speaks ZooKeeper's codes (ZkError); the few conditions that only HTTP
// has (an unknown route, a method the route lacks, a body of another media
// type) are HttpErrors, thrown by this layer alone.
import { ZkError, zkCodeNumber, type ErrorCode } from "../lib/errors.js";

export type HttpCode = "NOTFOUND" | "METHODNOTALLOWED" | "UNSUPPORTEDMEDIATYPE" | "TOOMANYREQUESTS";
export type ResponseCode = ErrorCode | HttpCode;

export class HttpError extends Error {
  override name = "HttpError";
  constructor(
    readonly code: HttpCode,
    message: string,
  ) {
    super(message);
  }
}

const STATUS: Partial<Record<ResponseCode, number>> = {
  BADARGUMENTS: 400,
  INVALIDACL: 400,
  UNIMPLEMENTED: 400,
  AUTHFAILED: 401,
  NOAUTH: 403,
  NONODE: 404,
  NOTFOUND: 404,
  METHODNOTALLOWED: 405,
  NODEEXISTS: 409,
  NOTEMPTY: 409,
  NOCHILDRENFOREPHEMERALS: 409,
  SESSIONEXPIRED: 410,
  WATCHEXPIRED: 410,
  BADVERSION: 412,
  TOOLARGE: 413,
  UNSUPPORTEDMEDIATYPE: 415,
  TOOMANYREQUESTS: 429,
  CONNECTIONLOSS: 503,
  OPERATIONTIMEOUT: 504,
};

/** `forCreate`: a missing parent is a conflict with the tree's state, not a missing resource. */
export function statusOf(code: ResponseCode, forCreate = false): number {
  if (code === "NONODE" && forCreate) return 409;
  return STATUS[code] ?? 500;
}

/** Refused before any etcd work: the request's own fault. */
export function isRequestError(code: ResponseCode): boolean {
  return ["BADARGUMENTS", "INVALIDACL", "UNIMPLEMENTED", "TOOLARGE", "UNSUPPORTEDMEDIATYPE", "NOTFOUND", "METHODNOTALLOWED", "TOOMANYREQUESTS"].includes(code);
}

export interface ErrorBody {
  code: string;
  zkCode: number | null;
  message: string;
  path?: string;
  results?: { code: string }[];
  requestId?: string;
}

export function errorBody(e: ZkError | HttpError, withResults: boolean): ErrorBody {
  const zk = e instanceof ZkError ? e : undefined;
  return {
    code: e.code,
    zkCode: zkCodeNumber(e.code),
    message: e.message,
    ...(zk?.path !== undefined ? { path: zk.path } : {}),
    ...(withResults && zk?.results ? { results: zk.results } : {}),
  };
}
