// ZooKeeper's ACL model: the world, auth, digest and ip schemes, the permission
// check every op makes, and the fix-up a create or setACL applies to the list given.
import { ZkError } from "./errors.js";
import type { AclEntry } from "./records.js";

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

/** An identity a caller holds: ("ip", address) always, ("digest", "user:hash") when authenticated. */
export interface Identity {
  scheme: string;
  id: string;
}

/** ZooKeeper's digest id for a user: `user:base64(sha1("user:password"))`. */
export async function digestId(user: string, password: string): Promise<string> {
  const hash = await crypto.subtle.digest("SHA-1", new TextEncoder().encode(`${user}:${password}`));
  let bin = "";
  for (const b of new Uint8Array(hash)) bin += String.fromCharCode(b);
  return `${user}:${btoa(bin)}`;
}

/** Throws NOAUTH unless one of `acl`'s entries grants `perm` to one of `ids`. */
export function checkAcl(acl: AclEntry[], perm: number, ids: Identity[], path: string): void {
  if (acl.length === 0) return; // ZooKeeper: an empty ACL protects nothing
  for (const entry of acl) {
    if ((entry.perms & perm) === 0) continue;
    if (entry.scheme === "world" && entry.id === "anyone") return;
    for (const who of ids) {
      if (who.scheme !== entry.scheme) continue;
      if (entry.scheme === "digest" && who.id === entry.id) return;
      if (entry.scheme === "ip" && ipMatches(entry.id, who.id)) return;
    }
  }
  throw new ZkError("NOAUTH", `not authorized for ${permName(perm)} on ${path}`, path);
}

function permName(perm: number): string {
  return Object.entries(PERMS).find(([, bit]) => bit === perm)?.[0] ?? String(perm);
}

/**
 * The ACL ZooKeeper stores for a create or setACL: `auth` entries become the
 * caller's authenticated (digest) ids; anything else must be a valid id of a
 * known scheme. Throws INVALIDACL as ZooKeeper's server does.
 */
export function fixupAcl(acl: AclEntry[], ids: Identity[], path: string): AclEntry[] {
  const out: AclEntry[] = [];
  for (const entry of acl) {
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
      if (!parseIpSpec(entry.id)) throw invalid(path, `ip id ${JSON.stringify(entry.id)} is not an address or address/bits`);
      out.push(entry);
    } else {
      throw invalid(path, `unknown ACL scheme ${JSON.stringify(entry.scheme)} with id ${JSON.stringify(entry.id)}`);
    }
  }
  if (out.length === 0) throw invalid(path, "the ACL is empty");
  // ZooKeeper stores each distinct entry once.
  return out.filter((e, i) => out.findIndex((o) => o.perms === e.perms && o.scheme === e.scheme && o.id === e.id) === i);
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

function parseAddress(s: string): number[] | null {
  const v4 = s.split(".");
  if (v4.length === 4) {
    const bytes = v4.map((p) => (/^\d{1,3}$/.test(p) ? Number(p) : NaN));
    return bytes.every((b) => b >= 0 && b <= 255) ? bytes : null;
  }
  if (!s.includes(":")) return null;
  const halves = s.split("::");
  if (halves.length > 2) return null;
  const groups = (h: string) => (h === "" ? [] : h.split(":"));
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const all = [...head, ...Array(halves.length === 2 ? missing : 0).fill("0"), ...tail];
  const bytes: number[] = [];
  for (const g of all) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
    const n = parseInt(g, 16);
    bytes.push(n >> 8, n & 0xff);
  }
  return bytes;
}

function parseIpSpec(spec: string): { addr: number[]; bits: number } | null {
  const [a, b, ...rest] = spec.split("/");
  if (rest.length > 0 || a === undefined) return null;
  const addr = parseAddress(a);
  if (!addr) return null;
  if (b === undefined) return { addr, bits: addr.length * 8 };
  if (!/^\d+$/.test(b)) return null;
  const bits = Number(b);
  return bits <= addr.length * 8 ? { addr, bits } : null;
}

function ipMatches(spec: string, address: string): boolean {
  const s = parseIpSpec(spec);
  const addr = parseAddress(address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address);
  if (!s || !addr || addr.length !== s.addr.length) return false;
  for (let i = 0; i < s.bits; i++) {
    const mask = 0x80 >> (i % 8);
    if ((addr[Math.floor(i / 8)]! & mask) !== (s.addr[Math.floor(i / 8)]! & mask)) return false;
  }
  return true;
}
