// Every error the etcd layer throws, and the one table that maps etcd's
// messages to them. Both transports see the same messages (the gateway in its
// JSON answers, grpc-js in its status details), so both classify with it.

/** etcd cannot be reached, has no leader, or timed out: the caller should retry later. */
export class EtcdUnavailableError extends Error {
  override name = "EtcdUnavailableError";
}

/**
 * etcd refused the service's identity: a wrong user or password, a user or
 * role that lacks the prefix, credentials missing while etcd requires them.
 * Unavailable until an operator fixes it (so 503, and no crash), but no use
 * trying another endpoint: they share one user database.
 */
export class EtcdAuthError extends EtcdUnavailableError {
  override name = "EtcdAuthError";
}

/** The request exceeds a limit of the etcd cluster (--max-txn-ops, --max-request-bytes). */
export class EtcdLimitError extends Error {
  override name = "EtcdLimitError";
}

/** The requested revision was compacted away. */
export class EtcdCompactedError extends Error {
  override name = "EtcdCompactedError";
}

/** The lease named is not known to etcd (expired or revoked). */
export class EtcdLeaseNotFoundError extends Error {
  override name = "EtcdLeaseNotFoundError";
}

/**
 * A call failed at one endpoint in a way another endpoint might not. Never
 * leaves the etcd layer: failover turns it into EtcdUnavailableError.
 */
export class EndpointFailure extends Error {
  override name = "EndpointFailure";
  /** maybeApplied: etcd may have executed the request (it was sent and no answer came back). */
  constructor(
    message: string,
    readonly maybeApplied: boolean,
  ) {
    super(message);
  }
}

const LEASE_NOT_FOUND = "etcdserver: requested lease not found";
const INVALID_AUTH_TOKEN = "etcdserver: invalid auth token";
export const COMPACTED = "mvcc: required revision has been compacted";
// The credentials (ETCD_USER, ETCD_PASSWORD) or the role's permissions.
const AUTH_REFUSED = [
  "etcdserver: authentication failed",
  "etcdserver: user name is empty",
  "etcdserver: user name not found",
  "etcdserver: permission denied",
  "etcdserver: authentication is not enabled",
  INVALID_AUTH_TOKEN,
];
// Limits of the cluster's configuration: refused before anything was applied.
// The last is etcd's gRPC server refusing a request over --max-request-bytes
// plus its framing allowance, before decoding it (grpc-js's own limit on what
// it receives reads "Received message larger than max": an answer, not this).
const LIMITS = ["etcdserver: too many operations in txn request", "etcdserver: request is too large", "grpc: received message larger than max"];
// Refused before the request was proposed to raft, so it did not happen.
const REFUSED = ["etcdserver: no leader", "etcdserver: leader changed", "etcdserver: too many requests", "etcdserver: unhealthy cluster"];
// Proposed, then no result: it may still commit.
const UNKNOWN_OUTCOME = ["etcdserver: request timed out", "etcdserver: server stopped"];

/**
 * The error an etcd error message stands for, or undefined for one this table
 * does not know (then a plain Error). `serverFault`: the answer said the
 * server failed (HTTP 5xx, gRPC UNAVAILABLE/INTERNAL/UNKNOWN), so the request
 * may have been applied.
 */
export function classifyEtcdError(message: string, serverFault: boolean): Error | undefined {
  if (message.includes(COMPACTED)) return new EtcdCompactedError(message);
  if (message.includes(LEASE_NOT_FOUND)) return new EtcdLeaseNotFoundError(message);
  if (LIMITS.some((m) => message.includes(m))) return new EtcdLimitError(message);
  if (AUTH_REFUSED.some((m) => message.includes(m))) {
    return new EtcdAuthError(`etcd refused the service's credentials (ETCD_USER, ETCD_PASSWORD, the user's role): ${message}`);
  }
  if (REFUSED.some((m) => message.includes(m))) return new EndpointFailure(message, false);
  if (serverFault || UNKNOWN_OUTCOME.some((m) => message.includes(m))) return new EndpointFailure(message, true);
  return undefined;
}

/** etcd refused an auth token that has expired (--auth-token-ttl): fetch a new one. Takes an error or a watch's cancel reason. */
export function isInvalidAuthToken(e: unknown): boolean {
  const message = typeof e === "string" ? e : e instanceof Error ? e.message : "";
  return message.includes(INVALID_AUTH_TOKEN);
}

/**
 * The client refused an answer larger than it receives in one message
 * (grpc-js: 4 MiB): for a read nothing happened, and asking again cannot help.
 */
export function isAnswerTooLarge(e: unknown): boolean {
  return e instanceof Error && e.message.includes("Received message larger than max");
}
