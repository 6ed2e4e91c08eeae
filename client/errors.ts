// Typed errors: every failure the service reports becomes a ZkError carrying
// ZooKeeper's code name and number (KeeperException.Code), with a subclass per
// common code so callers can `instanceof` as they would catch
// KeeperException.NoNodeException in Java or NoNodeError in kazoo.

/** ZooKeeper's numbers for its codes. */
export const ZK_CODES = {
  OK: 0,
  SYSTEMERROR: -1,
  RUNTIMEINCONSISTENCY: -2,
  DATAINCONSISTENCY: -3,
  CONNECTIONLOSS: -4,
  MARSHALLINGERROR: -5,
  UNIMPLEMENTED: -6,
  OPERATIONTIMEOUT: -7,
  BADARGUMENTS: -8,
  UNKNOWNSESSION: -12,
  APIERROR: -100,
  NONODE: -101,
  NOAUTH: -102,
  BADVERSION: -103,
  NOCHILDRENFOREPHEMERALS: -108,
  NODEEXISTS: -110,
  NOTEMPTY: -111,
  SESSIONEXPIRED: -112,
  INVALIDACL: -114,
  AUTHFAILED: -115,
  SESSIONMOVED: -118,
} as const;

export type ZkCodeName = keyof typeof ZK_CODES;

/**
 * A code: one of ZooKeeper's, one of the service's own (`NOTFOUND`,
 * `METHODNOTALLOWED`, `UNSUPPORTEDMEDIATYPE`, `TOOLARGE`, `WATCHEXPIRED`), or
 * the client's `CLOSED` (the client was closed while the call waited).
 */
export type ErrorCode = ZkCodeName | "NOTFOUND" | "METHODNOTALLOWED" | "UNSUPPORTEDMEDIATYPE" | "TOOLARGE" | "WATCHEXPIRED" | "CLOSED" | (string & {});

/** A failed multi's per-op outcome. */
export interface OpCode {
  code: string;
}

export interface ZkErrorInit {
  /** The HTTP status the service answered; undefined when there was no answer. */
  status?: number;
  path?: string;
  /** A failed multi: each op's code (OK before the failing op, RUNTIMEINCONSISTENCY after). */
  results?: OpCode[];
  requestId?: string;
  /** The answer's ZK-Zxid: the state the refusal was decided on. */
  zxid?: bigint;
  cause?: unknown;
}

export class ZkError extends Error {
  override name = "ZkError";
  /** ZooKeeper's name for the condition, e.g. "NONODE". */
  readonly code: ErrorCode;
  /** ZooKeeper's number for it (-101), or null for a code ZooKeeper does not have. */
  readonly zkCode: number | null;
  readonly status?: number;
  readonly path?: string;
  readonly results?: OpCode[];
  readonly requestId?: string;
  /** The ZK-Zxid the service answered with, when it answered with one. */
  readonly zxid?: bigint;

  constructor(code: ErrorCode, message: string, init: ZkErrorInit = {}) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.code = code;
    this.zkCode = code in ZK_CODES ? ZK_CODES[code as ZkCodeName] : null;
    this.status = init.status;
    this.path = init.path;
    this.results = init.results;
    this.requestId = init.requestId;
    this.zxid = init.zxid;
  }

  /** For a failed multi: the index of the op that failed, or -1. */
  get failedOp(): number {
    return this.results?.findIndex((r) => r.code !== "OK" && r.code !== "RUNTIMEINCONSISTENCY") ?? -1;
  }
}

export class NoNodeError extends ZkError { override name = "NoNodeError"; }
export class NodeExistsError extends ZkError { override name = "NodeExistsError"; }
export class BadVersionError extends ZkError { override name = "BadVersionError"; }
export class NotEmptyError extends ZkError { override name = "NotEmptyError"; }
export class NoChildrenForEphemeralsError extends ZkError { override name = "NoChildrenForEphemeralsError"; }
export class NoAuthError extends ZkError { override name = "NoAuthError"; }
export class AuthFailedError extends ZkError { override name = "AuthFailedError"; }
export class InvalidAclError extends ZkError { override name = "InvalidAclError"; }
export class BadArgumentsError extends ZkError { override name = "BadArgumentsError"; }
export class SessionExpiredError extends ZkError { override name = "SessionExpiredError"; }
export class OperationTimeoutError extends ZkError { override name = "OperationTimeoutError"; }
export class WatchExpiredError extends ZkError { override name = "WatchExpiredError"; }
export class TooLargeError extends ZkError { override name = "TooLargeError"; }
export class SystemError extends ZkError { override name = "SystemError"; }
export class ClientClosedError extends ZkError { override name = "ClientClosedError"; }

/**
 * The service could not be reached, or answered 503, and retries ran out; or a
 * write was sent and its outcome is unknown (`outcomeUnknown`): it may or may
 * not have been applied, so read to find out before sending it again. This is
 * ZooKeeper's ConnectionLoss.
 */
export class ConnectionLossError extends ZkError {
  override name = "ConnectionLossError";
  constructor(
    message: string,
    init: ZkErrorInit & { outcomeUnknown?: boolean } = {},
  ) {
    super("CONNECTIONLOSS", message, init);
    this.outcomeUnknown = init.outcomeUnknown ?? false;
  }
  /** True for a write that may have been applied. */
  readonly outcomeUnknown: boolean;
}

const CLASSES: Record<string, new (code: ErrorCode, message: string, init?: ZkErrorInit) => ZkError> = {
  NONODE: NoNodeError,
  NODEEXISTS: NodeExistsError,
  BADVERSION: BadVersionError,
  NOTEMPTY: NotEmptyError,
  NOCHILDRENFOREPHEMERALS: NoChildrenForEphemeralsError,
  NOAUTH: NoAuthError,
  AUTHFAILED: AuthFailedError,
  INVALIDACL: InvalidAclError,
  BADARGUMENTS: BadArgumentsError,
  SESSIONEXPIRED: SessionExpiredError,
  OPERATIONTIMEOUT: OperationTimeoutError,
  WATCHEXPIRED: WatchExpiredError,
  TOOLARGE: TooLargeError,
  SYSTEMERROR: SystemError,
  CLOSED: ClientClosedError,
};

/** The error for a code, as the most specific class there is. */
export function zkError(code: ErrorCode, message: string, init: ZkErrorInit = {}): ZkError {
  if (code === "CONNECTIONLOSS") return new ConnectionLossError(message, init);
  const Class = CLASSES[code] ?? ZkError;
  return new Class(code, message, init);
}

/** True when `e` is a ZkError, and of `code` if given. */
export function isZkError(e: unknown, code?: ErrorCode): e is ZkError {
  return e instanceof ZkError && (code === undefined || e.code === code);
}
