// What the two sides' answers are reduced to before they are compared, and the
// comparison itself.
//
// Compared exactly: codes, created paths, data bytes, children (as a set), ACLs,
// and every Stat field, with these normalizations (README, "Differences"):
// - zxids are offsets from the side's base zxid (its last zxid when the trace
//   began); a Stat zxid of 0 — the system nodes a fresh tree starts with — is
//   kept as the absolute "0".
// - ctime/mtime by relation only: ctime is 0 or "t"; mtime is "=ctime" while
//   mzxid = czxid and ">=ctime" after a set; per side, a node's ctime never
//   changes and its mtime never goes back (TimeTracker).
// - ephemeralOwner: "0", or the label of the trace's session that owns it
//   ("s1#2": the second session opened under label s1).
// - data: ZooKeeper's null data and empty data both compare as "".

export type Z = number | "0";

export interface NStat {
  czxid: Z;
  mzxid: Z;
  pzxid: Z;
  ctime: 0 | "t";
  mtime: string;
  version: number;
  cversion: number;
  aversion: number;
  ephemeralOwner: string;
  dataLength: number;
  numChildren: number;
}

export interface NAcl {
  perms: string;
  scheme: string;
  id: string;
}

export interface NMultiResult {
  op?: string;
  code?: string;
  path?: string;
  stat?: NStat;
}

export interface NReadResult {
  op: string;
  code: string;
  data?: string;
  children?: string[];
  stat?: NStat;
}

/** One op's outcome, as compared. */
export interface NResult {
  code: string;
  /** The reply's zxid (ZooKeeper's reply header; the service's ZK-Zxid), as an offset. */
  zxid: number | null;
  path?: string;
  data?: string;
  children?: string[];
  stat?: NStat;
  acl?: NAcl[];
  results?: (NMultiResult | NReadResult)[];
  ephemerals?: string[];
  timeoutMs?: number;
  /** events: "<type> <path>", "none" yet, or "unset" (the read that would have set it failed). */
  event?: string;
  /** events of a persistent watch: "<type> <path>" each, in order. */
  heard?: string[];
  /** Service only: present when the HTTP status is not docs/api.md's for this outcome. */
  httpStatus?: string;
}

export interface NNode {
  code: string;
  data?: string;
  stat?: NStat;
  children?: string[];
  acl?: NAcl[];
  aclCode?: string;
}

/** Every node reachable from the trace's roots. */
export type NSnapshot = Record<string, NNode>;

export interface RawStat {
  czxid: bigint;
  mzxid: bigint;
  pzxid: bigint;
  ctime: number;
  mtime: number;
  version: number;
  cversion: number;
  aversion: number;
  ephemeralOwner: bigint;
  dataLength: number;
  numChildren: number;
}

/** Session ids a side has handed out during a trace, by label and generation. */
export class SessionNames {
  private byId = new Map<bigint, string>();
  private gens = new Map<string, number>();

  add(label: string, id: bigint): string {
    const gen = (this.gens.get(label) ?? 0) + 1;
    this.gens.set(label, gen);
    const name = `${label}#${gen}`;
    this.byId.set(id, name);
    return name;
  }

  owner(id: bigint): string {
    if (id === 0n) return "0";
    return this.byId.get(id) ?? `unknown session ${id}`;
  }
}

/**
 * Per-side time sanity: what ZooKeeper guarantees about ctime and mtime, which
 * the comparison cannot see because the two sides' clocks differ.
 */
export class TimeTracker {
  private nodes = new Map<string, { ctime: number; mzxid: bigint; mtime: number }>();
  readonly violations: string[] = [];

  see(where: string, s: RawStat): void {
    if (s.czxid === 0n) return;
    const key = `${where}@${s.czxid}`;
    const prev = this.nodes.get(key);
    if (prev) {
      if (prev.ctime !== s.ctime) this.violations.push(`${where}: ctime changed from ${prev.ctime} to ${s.ctime}`);
      if (s.mzxid === prev.mzxid && s.mtime !== prev.mtime) this.violations.push(`${where}: mtime changed from ${prev.mtime} to ${s.mtime} with mzxid unchanged`);
      if (s.mzxid > prev.mzxid && s.mtime < prev.mtime) this.violations.push(`${where}: mtime went back from ${prev.mtime} to ${s.mtime} on a set`);
      if (s.mzxid < prev.mzxid) return;
    }
    this.nodes.set(key, { ctime: s.ctime, mzxid: s.mzxid, mtime: s.mtime });
  }

  take(): string[] {
    return this.violations.splice(0);
  }
}

/** A side's zxid frame: offsets from its base, and the session names for owners. */
export class Frame {
  base = 0n;
  readonly sessions = new SessionNames();
  readonly times = new TimeTracker();

  zxid(z: bigint): number {
    return Number(z - this.base);
  }

  statZxid(z: bigint): Z {
    return z === 0n ? "0" : Number(z - this.base);
  }

  /** `path`: the node's path, to follow its times from one observation to the next. */
  stat(s: RawStat, path: string): NStat {
    this.times.see(path, s);
    let mtime: string;
    if (s.mzxid === s.czxid) mtime = s.mtime === s.ctime ? "=ctime" : `BAD: mtime ${s.mtime} != ctime ${s.ctime} though mzxid = czxid`;
    else mtime = s.mtime >= s.ctime ? ">=ctime" : `BAD: mtime ${s.mtime} < ctime ${s.ctime}`;
    return {
      czxid: this.statZxid(s.czxid),
      mzxid: this.statZxid(s.mzxid),
      pzxid: this.statZxid(s.pzxid),
      ctime: s.ctime === 0 ? 0 : "t",
      mtime,
      version: s.version,
      cversion: s.cversion,
      aversion: s.aversion,
      ephemeralOwner: this.sessions.owner(s.ephemeralOwner),
      dataLength: s.dataLength,
      numChildren: s.numChildren,
    };
  }
}

export const b64 = (d: Uint8Array | null | undefined): string => (d ? Buffer.from(d).toString("base64") : "");

/** Where two normalized values differ: one line per leaf, "a.b[2].c: zk=… side=…". */
export function diff(expected: unknown, actual: unknown, names: [string, string], path = ""): string[] {
  if (Object.is(expected, actual)) return [];
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;
  if (Array.isArray(expected) && Array.isArray(actual)) {
    const out: string[] = [];
    for (let i = 0; i < Math.max(expected.length, actual.length); i++) out.push(...diff(expected[i], actual[i], names, `${path}[${i}]`));
    return out;
  }
  if (isObj(expected) && isObj(actual) && !Array.isArray(expected) && !Array.isArray(actual)) {
    const out: string[] = [];
    const keys = [...new Set([...Object.keys(expected), ...Object.keys(actual)])];
    for (const k of keys) out.push(...diff(expected[k], actual[k], names, path ? `${path}.${k}` : k));
    return out;
  }
  const show = (v: unknown) => (v === undefined ? "(absent)" : JSON.stringify(v));
  return [`${path || "(value)"}: ${names[0]}=${show(expected)} ${names[1]}=${show(actual)}`];
}
