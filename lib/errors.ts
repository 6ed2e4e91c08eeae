// ZooKeeper's error codes (KeeperException.Code), one enum for server and client,
// plus the two conditions of this service that ZooKeeper has no code for.

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
} as const;

export type ZkCode = keyof typeof ZK_CODES;

/**
 * Conditions ZooKeeper has no code for: data over the size limit (ZooKeeper
 * drops the connection instead), and a watch whose history etcd compacted.
 */
export type ServiceCode = "TOOLARGE" | "WATCHEXPIRED";

export type ErrorCode = ZkCode | ServiceCode;

/** ZooKeeper's number for a code; null for a condition ZooKeeper has no code for. */
export function zkCodeNumber(code: string): number | null {
  return code in ZK_CODES ? ZK_CODES[code as ZkCode] : null;
}

/** Per-op outcome of a failed multi, as ZooKeeper reports it. */
export type OpResultCode = "OK" | ZkCode;

/** The one error type lib/ throws for a caller-visible failure. */
export class ZkError extends Error {
  override name = "ZkError";
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly path?: string,
    /** For multi: each op's code. */
    readonly results?: { code: OpResultCode }[],
  ) {
    super(message);
  }
}

/** A request names a session that is not live: 410, as ZooKeeper answers a reconnect to it. */
export function sessionNotLive(id: bigint): ZkError {
  return new ZkError("SESSIONEXPIRED", `session ${id} is not live (expired, closed or never opened)`);
}
