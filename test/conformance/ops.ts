// The operations a conformance trace is made of, named as docs/api.md names them,
// and the few tables both sides need to translate them.

export type Mode =
  | "persistent"
  | "ephemeral"
  | "persistent_sequential"
  | "ephemeral_sequential"
  | "container"
  | "persistent_with_ttl"
  | "persistent_sequential_with_ttl";

export const MODES: Mode[] = [
  "persistent",
  "ephemeral",
  "persistent_sequential",
  "ephemeral_sequential",
  "container",
  "persistent_with_ttl",
  "persistent_sequential_with_ttl",
];

/** ZooKeeper's CreateMode flags. */
export const MODE_FLAGS: Record<Mode, number> = {
  persistent: 0,
  ephemeral: 1,
  persistent_sequential: 2,
  ephemeral_sequential: 3,
  container: 4,
  persistent_with_ttl: 5,
  persistent_sequential_with_ttl: 6,
};

export const isSequential = (m: Mode) => m.includes("sequential");
export const isEphemeral = (m: Mode) => m === "ephemeral" || m === "ephemeral_sequential";
export const isTtl = (m: Mode) => m.endsWith("_with_ttl");

/** An ACL entry as docs/api.md writes it: perms as letters of "cdrwa". */
export interface Acl {
  perms: string;
  scheme: string;
  id: string;
}

const PERM_BITS: [string, number][] = [
  ["c", 4],
  ["d", 8],
  ["r", 1],
  ["w", 2],
  ["a", 16],
];

export function permsToBits(perms: string): number {
  let n = 0;
  for (const ch of perms) n |= PERM_BITS.find(([l]) => l === ch)?.[1] ?? 0;
  return n;
}

export function bitsToPerms(bits: number): string {
  return PERM_BITS.filter(([, b]) => bits & b)
    .map(([l]) => l)
    .join("");
}

/** Znode data in a trace: a UTF-8 string, or bytes. */
export type Data = string | Uint8Array;

export const bytesOf = (d: Data | undefined): Uint8Array => (d === undefined ? new Uint8Array() : typeof d === "string" ? new TextEncoder().encode(d) : d);

export type MultiOp =
  | { op: "create"; path: string; data?: Data; mode?: Mode; acl?: Acl[]; ttlMs?: number }
  | { op: "delete"; path: string; version?: number }
  | { op: "setData"; path: string; data?: Data; version?: number }
  | { op: "check"; path: string; version?: number };

export type ReadOp = { op: "getData" | "getChildren"; path: string };

/** One step of a trace. Session ops act on the step's actor (a session label). */
/**
 * `via`: the HTTP form the service side uses, where docs/api.md offers several for
 * one ZooKeeper op ("octets": a raw application/octet-stream body, or
 * Accept: application/octet-stream with the Stat in ZK-Stat; "head": HEAD
 * with the Stat in ZK-Stat; "if-match": the version in If-Match). ZooKeeper
 * runs the same op either way.
 */
export type Op =
  | { op: "create"; path: string; data?: Data; mode?: Mode; acl?: Acl[]; ttlMs?: number; via?: "octets" }
  | { op: "getData"; path: string; via?: "octets" }
  | { op: "exists"; path: string; via?: "head" }
  | { op: "getChildren"; path: string }
  | { op: "setData"; path: string; data?: Data; version?: number; via?: "octets" | "if-match" }
  | { op: "delete"; path: string; version?: number; via?: "if-match" }
  | { op: "getACL"; path: string }
  | { op: "setACL"; path: string; acl: Acl[]; aversion?: number }
  | { op: "multi"; ops: MultiOp[] }
  | { op: "multiRead"; ops: ReadOp[] }
  | { op: "sync"; path: string }
  | { op: "open"; timeoutMs: number; auth?: string }
  | { op: "close" }
  | { op: "ping" }
  | { op: "inspect" }
  /** Stop heartbeats (ZooKeeper: drop the TCP connection without closeSession) and wait until the session is expired on every side. */
  | { op: "expire" }
  /** Let the container/TTL reaper run once: ZooKeeper's ContainerManager, the service's scheduled job. */
  | { op: "reap" }
  /**
   * The read of `kind` (getData, exists, getChildren) with a watch, named
   * `name`: ZooKeeper's watch flag; the service remembers the read's ZK-Zxid.
   */
  | { op: "watch"; path: string; kind: WatchKind; name: string }
  /**
   * The first event the watch `name` got, or every event of a persistent one
   * (ZooKeeper: notifications so far; the service: /v1/watch or /v1/events from the zxid it was set at).
   */
  | { op: "events"; name: string }
  /** addWatch: a persistent watch (`recursive`: on the subtree) named `name`. */
  | { op: "addWatch"; path: string; recursive: boolean; name: string };

export type WatchKind = "data" | "exists" | "children";

/** The read that sets a watch of each kind. */
export const WATCH_READ = { data: "getData", exists: "exists", children: "getChildren" } as const;

/** ZooKeeper sets the watch when the read succeeds, and an exists watch on a missing node too. */
export const watchIsSet = (kind: WatchKind, code: string) => code === "OK" || (kind === "exists" && code === "NONODE");

export function describeOp(actor: string, op: Op): string {
  const { op: name, ...rest } = op;
  const args = JSON.stringify(rest, (_k, v) => (v instanceof Uint8Array ? `bytes:${Buffer.from(v).toString("hex")}` : v));
  return `${actor}: ${name} ${args === "{}" ? "" : args}`.trim();
}

/**
 * ZooKeeper's Java client (PathUtils.validatePath): what it refuses before
 * sending anything. docs/api.md: such a request is 400 BADARGUMENTS and spends no zxid.
 */
export function javaPathProblem(path: string, sequential = false): string | null {
  if (sequential) return javaPathProblem(path + "1");
  if (path.length === 0) return "Path length must be > 0";
  if (path[0] !== "/") return "Path must start with / character";
  if (path.length === 1) return null;
  if (path[path.length - 1] === "/") return "Path must not end with / character";
  let last = "/";
  for (let i = 1; i < path.length; i++) {
    const c = path[i]!;
    const code = path.charCodeAt(i);
    if (code === 0) return `null character not allowed @${i}`;
    if (c === "/" && last === "/") return `empty node name specified @${i}`;
    if (c === "." && last === ".") {
      if (path[i - 2] === "/" && (i + 1 === path.length || path[i + 1] === "/")) return `relative paths not allowed @${i}`;
    } else if (c === ".") {
      if (path[i - 1] === "/" && (i + 1 === path.length || path[i + 1] === "/")) return `relative paths not allowed @${i}`;
    } else if ((code > 0 && code <= 0x1f) || (code >= 0x7f && code <= 0x9f) || (code >= 0xd800 && code <= 0xf8ff) || (code >= 0xfff0 && code <= 0xffff)) {
      return `invalid character @${i}`;
    }
    last = c;
  }
  return null;
}

/** ZooKeeper's EphemeralType.validateTTL, as the Java client runs it before sending. */
export function javaTtlProblem(mode: Mode, ttlMs: number | undefined): string | null {
  const MAX_TTL = 0xffffffffff; // EphemeralType.TTL.maxValue(): 2^40 - 1
  if (isTtl(mode)) {
    if (ttlMs === undefined || ttlMs <= 0 || ttlMs > MAX_TTL) return `ttl must be in 1..${MAX_TTL}`;
  } else if (ttlMs !== undefined && ttlMs > 0) {
    return "ttl only for the TTL modes";
  }
  return null;
}

/** docs/api.md's status for an outcome: a missing parent on create is a conflict (409). */
export function expectedStatus(code: string, op: string): number {
  if (code === "OK") {
    if (op === "create" || op === "open") return 201;
    if (op === "delete" || op === "close") return 204;
    return 200;
  }
  const table: Record<string, number> = {
    BADARGUMENTS: 400,
    INVALIDACL: 400,
    UNIMPLEMENTED: 400,
    AUTHFAILED: 401,
    NOAUTH: 403,
    NONODE: 404,
    NODEEXISTS: 409,
    NOTEMPTY: 409,
    NOCHILDRENFOREPHEMERALS: 409,
    SESSIONEXPIRED: 410,
    BADVERSION: 412,
  };
  if (code === "NONODE" && op === "create") return 409;
  return table[code] ?? 500;
}
