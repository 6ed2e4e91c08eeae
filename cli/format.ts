// How the CLI prints: zkCli's layout for people, JSON (int64 as decimal
// strings, data as UTF-8 text when it is text, else base64) for scripts.
import type { Acl, Stat, ZkError } from "../client/index.js";

/** JSON with bigints as decimal strings and bytes as text (or base64 when not UTF-8). */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) => {
    if (typeof v === "bigint") return v.toString();
    if (v instanceof Uint8Array) return dataJson(v);
    return v;
  });
}

const strict = new TextDecoder("utf-8", { fatal: true });

export function dataJson(bytes: Uint8Array): { text: string } | { base64: string } {
  try {
    return { text: strict.decode(bytes) };
  } catch {
    let binary = "";
    for (const b of bytes) binary += String.fromCharCode(b);
    return { base64: btoa(binary) };
  }
}

const hex = (v: bigint) => `0x${v.toString(16)}`;
const date = (ms: number) => (ms === 0 ? "0" : new Date(ms).toISOString());

/** zkCli's stat layout (zxids and the owner in hex, as zkCli prints them). */
export function statText(stat: Stat): string {
  return [
    `cZxid = ${hex(stat.czxid)}`,
    `ctime = ${date(stat.ctime)}`,
    `mZxid = ${hex(stat.mzxid)}`,
    `mtime = ${date(stat.mtime)}`,
    `pZxid = ${hex(stat.pzxid)}`,
    `cversion = ${stat.cversion}`,
    `dataVersion = ${stat.version}`,
    `aclVersion = ${stat.aversion}`,
    `ephemeralOwner = ${hex(stat.ephemeralOwner)}`,
    `dataLength = ${stat.dataLength}`,
    `numChildren = ${stat.numChildren}`,
  ].join("\n");
}

/** zkCli's ACL layout: 'scheme,'id then : perms. */
export function aclText(acl: Acl[]): string {
  return acl.map((a) => `'${a.scheme},'${a.id}\n: ${a.perms}`).join("\n");
}

/** zkCli's `scheme:id:perms[,...]`; the id may itself contain ':' (digest). */
export function parseAcl(text: string): Acl[] {
  return text.split(",").map((entry) => {
    const first = entry.indexOf(":");
    const last = entry.lastIndexOf(":");
    if (first < 0 || last === first) throw new UsageError(`bad ACL entry "${entry}": expected scheme:id:perms, e.g. world:anyone:cdrwa`);
    return { scheme: entry.slice(0, first), id: entry.slice(first + 1, last), perms: entry.slice(last + 1) };
  });
}

export function errorText(e: ZkError): string {
  return `${e.code}${e.zkCode !== null ? ` (${e.zkCode})` : ""}: ${e.message}`;
}

/** A mistake in the command line: exit code 2, with a hint to --help. */
export class UsageError extends Error {
  override name = "UsageError";
}
