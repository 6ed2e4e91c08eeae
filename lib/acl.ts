// ZooKeeper's ACL model: the world, auth, digest and ip schemes, the permission
// check every op makes, and the fix-up a create or setACL applies to the list given.
import { ZkError } from "./errors.js";
import type { AclEntry, Identity } from "./model.js";

export const PERMS = { READ: 1, WRITE: 2, CREATE: 4, DELETE: 8, ADMIN: 16, ALL: 31 } as const;

// The letters ZooKeeper's CLI uses, in its order.
const LETTERS: [string, number][] = [
  ["c", PERMS.CREATE],
  ["d", PERMS.DELETE],
  ["r", PERMS.READ],
  ["w", PERMS.WRITE],
  ["a", PERMS.ADMIN],
];

export function formatPerms(perms: number): string {
  return LETTERS.filter(([, bit]) => perms & bit).map(([l]) => l).join("");
}

/** Parses "cdrwa"-style permissions; null when a letter is unknown or repeated. */
export function parsePerms(s: string): number | null {
  let perms = 0;
  for (const ch of s) {
    const entry = LETTERS.find(([l]) => l === ch);
    if (!entry || perms & entry[1]) return null;
    perms |= entry[1];
  }
  return perms;
}

export const OPEN_ACL_UNSAFE: AclEntry[] = [{ perms: PERMS.ALL, scheme: "world", id: "anyone" }];

/** ZooKeeper's digest id for a user: `user:base64(sha1("user:password"))`. */
export async function digestId(user: string, password: string): Promise<string> {
  const hash = await crypto.subtle.digest("SHA-1", new TextEncoder().encode(`${user}:${password}`));
  let bin = "";
  for (const b of new Uint8Array(hash)) bin += String.fromCharCode(b);
  return `${user}:${btoa(bin)}`;
}

/** Whether one of `acl`'s entries grants `perm` to one of `ids`. */
export function granted(acl: AclEntry[], perm: number, ids: readonly Identity[]): boolean {
  if (acl.length === 0) return true; // ZooKeeper: an empty ACL protects nothing
  for (const entry of acl) {
    if ((entry.perms & perm) === 0) continue;
    if (entry.scheme === "world" && entry.id === "anyone") return true;
    for (const who of ids) {
      if (who.scheme !== entry.scheme) continue;
      if (entry.scheme === "digest" && who.id === entry.id) return true;
      if (entry.scheme === "ip" && ipMatches(entry.id, who.id)) return true;
    }
  }
  return false;
}

/** Throws NOAUTH unless one of `acl`'s entries grants `perm` to one of `ids`. */
export function checkAcl(acl: AclEntry[], perm: number, ids: readonly Identity[], path: string): void {
  if (!granted(acl, perm, ids)) throw new ZkError("NOAUTH", `not authorized for ${permName(perm)} on ${path}`, path);
}

/** "READ", or "READ or ADMIN" for a check that any of several permissions passes (getACL). */
function permName(perm: number): string {
  const exact = Object.entries(PERMS).find(([, bit]) => bit === perm);
  if (exact) return exact[0];
  const names = Object.entries(PERMS).filter(([name, bit]) => name !== "ALL" && (perm & bit) !== 0);
  return names.length > 0 ? names.map(([name]) => name).join(" or ") : String(perm);
}

/**
 * The ACL ZooKeeper stores for a create or setACL: `auth` entries become the
 * caller's authenticated (digest) ids; anything else must be a valid id of a
 * known scheme. Throws INVALIDACL as ZooKeeper's server does.
 */
export function fixupAcl(acl: AclEntry[], ids: readonly Identity[], path: string): AclEntry[] {
  // ZooKeeper removes duplicates from the list as given, before expanding `auth`.
  const given = acl.filter((e, i) => acl.findIndex((o) => o.perms === e.perms && o.scheme === e.scheme && o.id === e.id) === i);
  if (given.length === 0) throw invalid(path, "the ACL is empty");
  const out: AclEntry[] = [];
  for (const entry of given) {
    if (entry.scheme === "world" && entry.id === "anyone") {
      out.push(entry);
    } else if (entry.scheme === "auth") {
      const authenticated = ids.filter((who) => who.scheme === "digest");
      if (authenticated.length === 0) throw invalid(path, "the auth scheme needs an authenticated caller (Authorization: Basic)");
      for (const who of authenticated) out.push({ perms: entry.perms, scheme: who.scheme, id: who.id });
    } else if (entry.scheme === "digest") {
      if (!validDigestId(entry.id)) throw invalid(path, `digest id ${JSON.stringify(entry.id)} is not user:base64(sha1)`);
      out.push(entry);
    } else if (entry.scheme === "ip") {
      if (!parseIpSpec(entry.id)) throw invalid(path, `ip id ${JSON.stringify(entry.id)} is not an IPv4 address or address/bits`);
      out.push(entry);
    } else {
      throw invalid(path, `unknown ACL scheme ${JSON.stringify(entry.scheme)} with id ${JSON.stringify(entry.id)}`);
    }
  }
  return out;
}

function invalid(path: string, why: string): ZkError {
  return new ZkError("INVALIDACL", `invalid ACL for ${path}: ${why}`, path);
}

// DigestAuthenticationProvider.isValid: exactly two parts around ':' (Java's split
// drops trailing empty strings, so "user:" is one part).
function validDigestId(id: string): boolean {
  const parts = id.split(":");
  while (parts.length > 0 && parts[parts.length - 1] === "") parts.pop();
  return parts.length === 2;
}

// Java's Integer.parseInt, which ZooKeeper uses for octets and bit counts: a
// sign and leading zeros are fine.
function javaInt(s: string): number | null {
  if (!/^[+-]?\d+$/.test(s)) return null;
  const n = Number(s);
  return n >= -(2 ** 31) && n <= 2 ** 31 - 1 ? n : null;
}

// ZooKeeper 3.8's ip scheme reads IPv4 only (IPAuthenticationProvider).
function parseAddress(s: string): number[] | null {
  const parts = s.split(".");
  if (parts.length !== 4) return null;
  const bytes = parts.map(javaInt);
  return bytes.every((b) => b !== null && b >= 0 && b <= 255) ? (bytes as number[]) : null;
}

function parseIpSpec(spec: string): { addr: number[]; bits: number } | null {
  const [a, b, ...rest] = spec.split("/");
  if (rest.length > 0 || a === undefined) return null;
  const addr = parseAddress(a);
  if (!addr) return null;
  if (b === undefined) return { addr, bits: 32 };
  const bits = javaInt(b);
  return bits !== null && bits >= 0 && bits <= 32 ? { addr, bits } : null;
}

function ipMatches(spec: string, address: string): boolean {
  const s = parseIpSpec(spec);
  // An IPv4 caller reached over IPv6 is reported as ::ffff:a.b.c.d, as Java reports it.
  const addr = parseAddress(address.startsWith("::ffff:") ? address.slice(7) : address);
  if (!s || !addr) return false;
  for (let i = 0; i < s.bits; i++) {
    const mask = 0x80 >> (i % 8);
    if ((addr[Math.floor(i / 8)]! & mask) !== (s.addr[Math.floor(i / 8)]! & mask)) return false;
  }
  return true;
}
