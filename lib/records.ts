// What the project stores in etcd values, and how zxids come back out of them.
//
// A write cannot know its own revision before etcd commits it, so a zxid field
// that a write leaves out means "the zxid of this write": the key's mod
// revision minus the zxid offset in force when it was written (`off`, stored
// alongside). A later write of the same key spells earlier zxids out.
import type { Bytes, KeyValue } from "./etcd/types.js";
import { ZkError } from "./errors.js";
import type { AclEntry, Fired, NodeKind } from "./model.js";

export interface NodeRecord {
  kind: NodeKind;
  /** Session that owns an ephemeral; 0 otherwise. */
  owner: bigint;
  ttlMs: number;
  version: number;
  ctime: number;
  mtime: number;
  /** null: this write's zxid. */
  czxid: bigint | null;
  mzxid: bigint | null;
  off: bigint;
  data: Bytes;
}

/**
 * A creations or deletions key (keys.ts). Its zxid is its mod revision's
 * unless `pzxid` says otherwise (a reconciliation, which is no ZooKeeper txn).
 * For creations, the count is the key's etcd version − 1 + `adj`: a txn that
 * creates several children of one parent bumps the version only once.
 */
export interface CounterRecord {
  adj: number;
  off: bigint;
  pzxid: bigint | null;
}

export interface AclRecord {
  acl: AclEntry[];
  aversion: number;
}

export interface BaseRecord {
  /** Writes committed since the bootstrap that were not ZooKeeper transactions. */
  extra: bigint;
  /** Reconciliations that found the deletion's revision compacted away. */
  compactedFallbacks: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function bigOrNull(v: unknown): bigint | null {
  return v === undefined || v === null ? null : BigInt(v as string);
}

function json(value: unknown): Bytes {
  return encoder.encode(JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString() : v)));
}

// Node value: 4-byte big-endian header length, JSON header, raw data.
export function encodeNode(r: NodeRecord): Bytes {
  const header = json({
    k: r.kind,
    o: r.owner,
    t: r.ttlMs || undefined,
    v: r.version,
    ct: r.ctime,
    mt: r.mtime,
    cz: r.czxid ?? undefined,
    mz: r.mzxid ?? undefined,
    off: r.off,
  });
  const out = new Uint8Array(4 + header.length + r.data.length);
  new DataView(out.buffer).setUint32(0, header.length);
  out.set(header, 4);
  out.set(r.data, 4 + header.length);
  return out;
}

export function decodeNode(value: Bytes): NodeRecord {
  const len = new DataView(value.buffer, value.byteOffset, value.byteLength).getUint32(0);
  const h = JSON.parse(decoder.decode(value.subarray(4, 4 + len)));
  return {
    kind: h.k,
    owner: BigInt(h.o),
    ttlMs: h.t ?? 0,
    version: h.v,
    ctime: h.ct,
    mtime: h.mt,
    czxid: bigOrNull(h.cz),
    mzxid: bigOrNull(h.mz),
    off: BigInt(h.off),
    data: value.subarray(4 + len),
  };
}

export function encodeCounter(r: CounterRecord): Bytes {
  return json({ adj: r.adj || undefined, off: r.off, pz: r.pzxid ?? undefined });
}

export function decodeCounter(value: Bytes): CounterRecord {
  const h = JSON.parse(decoder.decode(value));
  return { adj: h.adj ?? 0, off: BigInt(h.off), pzxid: bigOrNull(h.pz) };
}

/** The elist entry of an ephemeral child: its session (the key's create revision is when). */
export function encodeElistEntry(session: bigint): Bytes {
  return json({ s: session });
}

export function decodeElistEntry(value: Bytes): bigint {
  return BigInt(JSON.parse(decoder.decode(value)).s);
}

export function encodeAcl(r: AclRecord): Bytes {
  return json({ acl: r.acl, av: r.aversion });
}

export function decodeAcl(value: Bytes): AclRecord {
  const h = JSON.parse(decoder.decode(value));
  return { acl: h.acl, aversion: h.av };
}

export function encodeEvents(fired: Fired[]): Bytes {
  return json(fired.map((f) => [f.table, f.type, f.path]));
}

export function decodeEvents(value: Bytes): Fired[] {
  return (JSON.parse(decoder.decode(value)) as [Fired["table"], Fired["type"], string][]).map(([table, type, path]) => ({ table, type, path }));
}

/** The key layout these records describe (keys.ts); a tree written in another is refused. */
export const LAYOUT = 3;

export function encodeBase(r: BaseRecord): Bytes {
  return json({ layout: LAYOUT, extra: r.extra, cf: r.compactedFallbacks || undefined });
}

export function decodeBase(value: Bytes): BaseRecord {
  const h = JSON.parse(decoder.decode(value));
  if (h.layout !== LAYOUT) {
    throw new ZkError("SYSTEMERROR", `the tree under this key prefix has layout ${h.layout ?? 1}; this service reads layout ${LAYOUT}: use a fresh ZK_PREFIX`);
  }
  return { extra: BigInt(h.extra), compactedFallbacks: h.cf ?? 0 };
}

/** The base record after one more write that is not a ZooKeeper txn (the zxid offset moves). */
export function afterExtraWrite(r: BaseRecord, compactedFallbacks = 0): Bytes {
  return encodeBase({ extra: r.extra + 1n, compactedFallbacks: r.compactedFallbacks + compactedFallbacks });
}

/** The zxid offset in force: revisions that are not zxids (the bootstrap's and every extra write). */
export function offsetOf(base: KeyValue): bigint {
  return base.createRevision + decodeBase(base.value).extra;
}

/** A stored zxid field, resolved: null means the zxid of the write that stored it. */
export function resolveZxid(field: bigint | null, kv: KeyValue, off: bigint): bigint {
  return field ?? kv.modRevision - off;
}
