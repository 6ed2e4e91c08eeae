// The one place a lib/ error becomes an HTTP status and body (API.md, Errors).
import type { ErrorCode } from "../lib/errors.js";
import { ZkError, zkCodeNumber } from "../lib/errors.js";

const STATUS: Partial<Record<ErrorCode, number>> = {
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
  CONNECTIONLOSS: 503,
  OPERATIONTIMEOUT: 504,
};

/** `forCreate`: a missing parent is a conflict with the tree's state, not a missing resource. */
export function statusOf(code: ErrorCode, forCreate = false): number {
  if (code === "NONODE" && forCreate) return 409;
  return STATUS[code] ?? 500;
}

/** Refused before any etcd work: the request's own fault. */
export function isRequestError(code: ErrorCode): boolean {
  return ["BADARGUMENTS", "INVALIDACL", "UNIMPLEMENTED", "TOOLARGE", "UNSUPPORTEDMEDIATYPE", "NOTFOUND", "METHODNOTALLOWED"].includes(code);
}

export interface ErrorBody {
  code: string;
  zkCode: number | null;
  message: string;
  path?: string;
  results?: { code: string }[];
  requestId?: string;
}

export function errorBody(e: ZkError, withResults: boolean): ErrorBody {
  return {
    code: e.code,
    zkCode: zkCodeNumber(e.code),
    message: e.message,
    ...(e.path !== undefined ? { path: e.path } : {}),
    ...(withResults && e.results ? { results: e.results } : {}),
  };
}
