// The one table that turns etcd's error messages into the etcd layer's errors,
// for what the credentials decide: the messages are etcd 3.4's own (seen from
// its gateway and its gRPC API alike; the integration tests meet them live).
import { describe, expect, test } from "vitest";
import { classifyEtcdError, EndpointFailure, EtcdAuthError, EtcdUnavailableError, isInvalidAuthToken } from "../../lib/etcd/errors.js";

describe("classifyEtcdError", () => {
  test.each([
    "etcdserver: authentication failed, invalid user ID or password",
    "etcdserver: user name is empty",
    "etcdserver: permission denied",
    "etcdserver: authentication is not enabled",
    // As the etcd3 package relays them: the gRPC status first.
    "3 INVALID_ARGUMENT: etcdserver: authentication failed, invalid user ID or password",
  ])("%s: the service's credentials were refused, a kind of unavailability", (message) => {
    const e = classifyEtcdError(message, false);
    expect(e).toBeInstanceOf(EtcdAuthError);
    expect(e).toBeInstanceOf(EtcdUnavailableError);
    // Not an EndpointFailure: another member of the cluster would refuse it alike.
    expect(e).not.toBeInstanceOf(EndpointFailure);
    expect(e!.message).toContain(message);
    expect(e!.message).toMatch(/ETCD_USER, ETCD_PASSWORD/);
  });

  test("an expired token left after the one retry is refused credentials too, and still recognised as expired", () => {
    const e = classifyEtcdError("etcdserver: invalid auth token", false);
    expect(e).toBeInstanceOf(EtcdAuthError);
    expect(isInvalidAuthToken(e)).toBe(true);
  });

  test("a watch's cancel reason names an expired token", () => {
    expect(isInvalidAuthToken("rpc error: code = Unauthenticated desc = etcdserver: invalid auth token")).toBe(true);
    expect(isInvalidAuthToken("etcdserver: permission denied")).toBe(false);
    expect(isInvalidAuthToken(undefined)).toBe(false);
  });

  test("messages about the cluster, not the credentials, keep their kinds", () => {
    expect(classifyEtcdError("etcdserver: no leader", false)).toBeInstanceOf(EndpointFailure);
    expect(classifyEtcdError("etcdserver: too many operations in txn request", false)).not.toBeInstanceOf(EtcdUnavailableError);
    expect(classifyEtcdError("etcdserver: duplicate key given in txn request", false)).toBeUndefined();
  });
});
