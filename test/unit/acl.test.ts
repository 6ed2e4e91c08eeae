// lib/acl.ts: permissions, ZooKeeper's digest, the ACL check every op makes,
// and the fix-up a create or setACL applies (PrepRequestProcessor.fixupACL).
import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { checkAcl, digestId, fixupAcl, formatPerms, OPEN_ACL_UNSAFE, parsePerms, PERMS } from "../../lib/acl.js";
import { ZkError } from "../../lib/errors.js";
import type { AclEntry, Identity } from "../../lib/model.js";

const sha1digest = (user: string, password: string) => `${user}:${createHash("sha1").update(`${user}:${password}`).digest("base64")}`;

const { READ, WRITE, CREATE, DELETE, ADMIN, ALL } = PERMS;
const entry = (perms: number, scheme: string, id: string): AclEntry => ({ perms, scheme, id });
const ip = (id: string): Identity => ({ scheme: "ip", id });
const dig = (id: string): Identity => ({ scheme: "digest", id });

function zkErrorOf(f: () => unknown): ZkError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ZkError);
    return e as ZkError;
  }
  throw new Error("expected a ZkError");
}

describe("permissions", () => {
  test("ZooKeeper's bit values", () => {
    expect(PERMS).toEqual({ READ: 1, WRITE: 2, CREATE: 4, DELETE: 8, ADMIN: 16, ALL: 31 });
  });

  test.each([
    ["", 0],
    ["r", READ],
    ["w", WRITE],
    ["c", CREATE],
    ["d", DELETE],
    ["a", ADMIN],
    ["cdrwa", ALL],
    ["arwdc", ALL],
    ["ra", READ | ADMIN],
    ["cd", CREATE | DELETE],
  ])("parsePerms(%j) is %d", (s, n) => {
    expect(parsePerms(s)).toBe(n);
  });

  test.each(["x", "R", "rr", "cdrwaa", "r w", "all", "*", "rwx"])("parsePerms(%j) is null", (s) => {
    expect(parsePerms(s)).toBeNull();
  });

  test.each([
    [0, ""],
    [READ, "r"],
    [ALL, "cdrwa"],
    [READ | ADMIN, "ra"],
    [WRITE | CREATE, "cw"],
    [CREATE | DELETE | READ, "cdr"],
  ])("formatPerms(%d) is %j (ZooKeeper's CLI order c d r w a)", (n, s) => {
    expect(formatPerms(n)).toBe(s);
  });

  test("formatPerms and parsePerms invert each other for all 32 sets", () => {
    for (let n = 0; n <= ALL; n++) {
      const s = formatPerms(n);
      expect(parsePerms(s)).toBe(n);
      expect(s).toMatch(/^c?d?r?w?a?$/);
    }
  });

  test("bits beyond ALL are not shown", () => {
    expect(formatPerms(ALL | 32)).toBe("cdrwa");
  });
});

describe("digestId", () => {
  test("super:test is ZooKeeper's documented example", async () => {
    expect(sha1digest("super", "test")).toBe("super:D/InIHSb7yEEbrWz8b9l71RjZJU=");
    expect(await digestId("super", "test")).toBe("super:D/InIHSb7yEEbrWz8b9l71RjZJU=");
  });

  test.each([
    ["alice", "pw1"],
    ["bob", ""],
    ["", "x"],
    ["carol", "pa:ss"],
    ["dé", "pässwörd ☃"],
  ])("digestId(%j, %j) is user:base64(sha1(user:password))", async (user, password) => {
    expect(await digestId(user, password)).toBe(sha1digest(user, password));
  });

  test("property: agrees with node:crypto", async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 12 }), fc.string({ maxLength: 12 }), async (user, password) => {
        const u = user.replace(/:/g, "");
        expect(await digestId(u, password)).toBe(sha1digest(u, password));
      }),
      { numRuns: 300, seed: 11 },
    );
  });
});

describe("checkAcl", () => {
  const alice = sha1digest("alice", "pw1");
  const bob = sha1digest("bob", "pw2");

  test("an empty ACL protects nothing", () => {
    expect(() => checkAcl([], ADMIN, [], "/x")).not.toThrow();
  });

  test("world:anyone grants its perms to everyone, and only those", () => {
    expect(() => checkAcl(OPEN_ACL_UNSAFE, ADMIN, [], "/x")).not.toThrow();
    expect(() => checkAcl([entry(READ, "world", "anyone")], READ, [], "/x")).not.toThrow();
    const e = zkErrorOf(() => checkAcl([entry(READ, "world", "anyone")], WRITE, [ip("1.2.3.4")], "/x"));
    expect(e.code).toBe("NOAUTH");
    expect(e.path).toBe("/x");
  });

  test("the refusal names the permission it wanted, in words", () => {
    const acl = [entry(WRITE, "world", "anyone")];
    expect(zkErrorOf(() => checkAcl(acl, READ, [], "/x")).message).toBe("not authorized for READ on /x");
    // getACL passes with either permission.
    expect(zkErrorOf(() => checkAcl(acl, READ | ADMIN, [], "/x")).message).toBe("not authorized for READ or ADMIN on /x");
  });

  test("world with another id grants nothing", () => {
    expect(zkErrorOf(() => checkAcl([entry(ALL, "world", "someone")], READ, [], "/x")).code).toBe("NOAUTH");
  });

  test("digest entries match the exact id", () => {
    const acl = [entry(ALL, "digest", alice)];
    expect(() => checkAcl(acl, WRITE, [ip("127.0.0.1"), dig(alice)], "/x")).not.toThrow();
    expect(zkErrorOf(() => checkAcl(acl, WRITE, [ip("127.0.0.1"), dig(bob)], "/x")).code).toBe("NOAUTH");
    expect(zkErrorOf(() => checkAcl(acl, WRITE, [ip("127.0.0.1")], "/x")).code).toBe("NOAUTH");
    expect(zkErrorOf(() => checkAcl(acl, WRITE, [dig("alice:x")], "/x")).code).toBe("NOAUTH");
    // The scheme must match too.
    expect(zkErrorOf(() => checkAcl([entry(ALL, "ip", "127.0.0.1")], READ, [dig("127.0.0.1")], "/x")).code).toBe("NOAUTH");
  });

  test("an entry grants only its permissions; a request for several is granted by any of them (getACL's READ|ADMIN)", () => {
    const acl = [entry(READ, "digest", alice), entry(ADMIN, "digest", bob)];
    expect(() => checkAcl(acl, READ, [dig(alice)], "/x")).not.toThrow();
    expect(zkErrorOf(() => checkAcl(acl, READ, [dig(bob)], "/x")).code).toBe("NOAUTH");
    expect(() => checkAcl(acl, READ | ADMIN, [dig(bob)], "/x")).not.toThrow();
    expect(() => checkAcl(acl, READ | ADMIN, [dig(alice)], "/x")).not.toThrow();
    expect(zkErrorOf(() => checkAcl(acl, WRITE, [dig(alice), dig(bob)], "/x")).code).toBe("NOAUTH");
  });

  test.each([
    ["10.1.2.3", "10.1.2.3", true],
    ["10.1.2.3", "10.1.2.4", false],
    ["10.1.2.3/32", "10.1.2.3", true],
    ["10.1.2.3/32", "10.1.2.4", false],
    ["10.1.0.0/16", "10.1.255.254", true],
    ["10.1.0.0/16", "10.2.0.1", false],
    ["10.1.2.3/16", "10.1.9.9", true], // host bits of the entry are masked off
    ["10.0.0.0/8", "10.200.1.1", true],
    ["10.0.0.0/8", "11.0.0.1", false],
    ["192.168.1.128/25", "192.168.1.200", true],
    ["192.168.1.128/25", "192.168.1.100", false],
    ["192.168.1.0/31", "192.168.1.1", true],
    ["192.168.1.0/31", "192.168.1.2", false],
    ["0.0.0.0/0", "203.0.113.9", true],
    ["10.0.0.0/8", "::ffff:10.1.2.3", true], // an IPv4-mapped caller is its IPv4 address (Java's InetAddress)
    ["10.0.0.0/33", "10.0.0.1", false], // invalid entries match nothing
    ["10.0.0", "10.0.0.1", false],
    ["10.0.0.1", "not-an-address", false],
  ])("ip entry %s %s caller %s", (spec, caller, allowed) => {
    const check = () => checkAcl([entry(READ, "ip", spec)], READ, [ip(caller)], "/x");
    if (allowed) expect(check).not.toThrow();
    else expect(zkErrorOf(check).code).toBe("NOAUTH");
  });

  test("property: a /n range admits exactly the addresses that share its first n bits", () => {
    const octets = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255));
    fc.assert(
      fc.property(octets, octets, fc.integer({ min: 0, max: 32 }), (a, b, bits) => {
        const num = (o: number[]) => ((o[0]! << 24) | (o[1]! << 16) | (o[2]! << 8) | o[3]!) >>> 0;
        const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
        const same = ((num(a) & mask) >>> 0) === ((num(b) & mask) >>> 0);
        const check = () => checkAcl([entry(READ, "ip", `${a.join(".")}/${bits}`)], READ, [ip(b.join("."))], "/x");
        if (same) expect(check).not.toThrow();
        else expect(check).toThrow(ZkError);
      }),
      { numRuns: 1000, seed: 3 },
    );
  });
});

describe("fixupAcl", () => {
  const alice = sha1digest("alice", "pw1");
  const callerAlice: Identity[] = [ip("127.0.0.1"), dig(alice)];
  const anonymous: Identity[] = [ip("127.0.0.1")];

  const invalid = (acl: AclEntry[], ids: Identity[] = anonymous) => {
    const e = zkErrorOf(() => fixupAcl(acl, ids, "/p"));
    expect(e.code).toBe("INVALIDACL");
    expect(e.path).toBe("/p");
    expect(e.message.length).toBeGreaterThan(0);
  };

  test("world:anyone passes as it is", () => {
    expect(fixupAcl(OPEN_ACL_UNSAFE, anonymous, "/p")).toEqual(OPEN_ACL_UNSAFE);
    expect(fixupAcl([entry(READ, "world", "anyone")], anonymous, "/p")).toEqual([entry(READ, "world", "anyone")]);
  });

  test("auth becomes each authenticated (digest) id of the caller, with its perms; its id is ignored", () => {
    expect(fixupAcl([entry(READ | WRITE, "auth", "")], callerAlice, "/p")).toEqual([entry(READ | WRITE, "digest", alice)]);
    expect(fixupAcl([entry(ALL, "auth", "whatever")], callerAlice, "/p")).toEqual([entry(ALL, "digest", alice)]);
  });

  test("auth without an authenticated id is INVALIDACL: an address does not count", () => {
    invalid([entry(ALL, "auth", "")], anonymous);
    invalid([entry(ALL, "auth", "")], []);
    invalid([OPEN_ACL_UNSAFE[0]!, entry(ALL, "auth", "")], anonymous);
  });

  test.each([
    "alice:hash",
    "alice:D/InIHSb7yEEbrWz8b9l71RjZJU=",
    ":hash", // Java's split keeps the leading empty part: two parts
    "a:b:", // and drops trailing empty parts: two parts
    "a:b::",
  ])("digest id %j is valid (DigestAuthenticationProvider.isValid: id.split(\":\").length == 2)", (id) => {
    expect(fixupAcl([entry(READ, "digest", id)], anonymous, "/p")).toEqual([entry(READ, "digest", id)]);
  });

  test.each(["", "alice", "alice:", ":", "::", "a:b:c", "::a", "a::b"])("digest id %j is INVALIDACL", (id) => {
    invalid([entry(READ, "digest", id)]);
  });

  test.each(["10.0.0.1", "0.0.0.0", "255.255.255.255", "10.0.0.0/8", "10.0.0.0/0", "10.0.0.1/32", "010.0.0.1"])("ip id %j is valid", (id) => {
    expect(fixupAcl([entry(READ, "ip", id)], anonymous, "/p")).toEqual([entry(READ, "ip", id)]);
  });

  test.each(["", "10.0.0", "10.0.0.1.2", "256.0.0.1", "10.0.0.-1", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/x", "10.0.0.0/", "10.0.0.0/8/8", "a.b.c.d", "localhost", "10.0.0.1 "])(
    "ip id %j is INVALIDACL",
    (id) => {
      invalid([entry(READ, "ip", id)]);
    },
  );

  test("ip octets are read with Java's Integer.parseInt, as ZooKeeper 3.8 reads them", () => {
    // IPAuthenticationProvider.v4addr2Bytes: Integer.parseInt accepts a sign and any number of leading zeros.
    for (const id of ["+10.0.0.1", "0010.0.0.1", "10.0.0.0001", "10.0.0.0/+8", "10.0.0.0/008"]) {
      expect(fixupAcl([entry(READ, "ip", id)], anonymous, "/p"), id).toEqual([entry(READ, "ip", id)]);
    }
  });

  test("IPv6 ids are INVALIDACL: ZooKeeper 3.8's ip scheme is IPv4 only (addr2Bytes: \"TODO Write the v6addr2Bytes\")", () => {
    for (const id of ["::1", "fe80::/10", "2001:db8::1/64"]) invalid([entry(READ, "ip", id)]);
  });

  test.each([
    ["world", "someone"],
    ["world", ""],
    ["kerberos", "alice"],
    ["", "anyone"],
    ["super", "x"],
    ["Digest", "a:b"],
  ])("scheme %j with id %j is INVALIDACL", (scheme, id) => {
    invalid([entry(READ, scheme, id)]);
  });

  test("one bad entry spoils the list", () => {
    invalid([OPEN_ACL_UNSAFE[0]!, entry(READ, "ip", "10.0.0")]);
  });

  test("an empty list is INVALIDACL", () => {
    invalid([]);
  });

  test("duplicate entries are stored once, in first-seen order", () => {
    const acl = [OPEN_ACL_UNSAFE[0]!, entry(READ, "ip", "10.0.0.1"), OPEN_ACL_UNSAFE[0]!, entry(READ, "ip", "10.0.0.1"), entry(WRITE, "ip", "10.0.0.1")];
    expect(fixupAcl(acl, anonymous, "/p")).toEqual([OPEN_ACL_UNSAFE[0]!, entry(READ, "ip", "10.0.0.1"), entry(WRITE, "ip", "10.0.0.1")]);
  });

  test("auth given twice is one entry (duplicates are removed first)", () => {
    expect(fixupAcl([entry(ALL, "auth", ""), entry(ALL, "auth", "")], callerAlice, "/p")).toEqual([entry(ALL, "digest", alice)]);
  });

  test("duplicates are removed before auth is expanded, as ZooKeeper 3.8's fixupACL does", () => {
    // removeDuplicates(acls) runs on the list as given; [auth, digest alice] are different
    // entries there, and expanding auth then yields digest alice a second time.
    expect(fixupAcl([entry(ALL, "auth", ""), entry(ALL, "digest", alice)], callerAlice, "/p")).toEqual([entry(ALL, "digest", alice), entry(ALL, "digest", alice)]);
    expect(fixupAcl([entry(ALL, "auth", "x"), entry(ALL, "auth", "y")], callerAlice, "/p")).toEqual([entry(ALL, "digest", alice), entry(ALL, "digest", alice)]);
  });

  test("does not change the list it is given", () => {
    const acl = [entry(ALL, "auth", ""), OPEN_ACL_UNSAFE[0]!, OPEN_ACL_UNSAFE[0]!];
    const copy = structuredClone(acl);
    fixupAcl(acl, callerAlice, "/p");
    expect(acl).toEqual(copy);
  });
});
