// Jute, ZooKeeper's serialization: big-endian ints and longs, one-byte
// booleans, length-prefixed buffers and strings (-1 for null), vectors as a
// count then their items. Pure encoding, shared by the server (zkwire/) and
// the conformance suite's client (test/conformance/zk-wire.ts).

/** A record ran past the end of its frame, or a length is impossible. */
export class MarshallingError extends Error {
  override name = "MarshallingError";
}

export interface JuteStat {
  czxid: bigint;
  mzxid: bigint;
  ctime: bigint;
  mtime: bigint;
  version: number;
  cversion: number;
  aversion: number;
  ephemeralOwner: bigint;
  dataLength: number;
  numChildren: number;
  pzxid: bigint;
}

export interface JuteAcl {
  perms: number;
  scheme: string;
  id: string;
}

export class Writer {
  private buf: Buffer;
  private o = 0;

  constructor(size = 256) {
    this.buf = Buffer.allocUnsafe(size);
  }

  private room(n: number): void {
    if (this.o + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.o + n));
    this.buf.copy(next, 0, 0, this.o);
    this.buf = next;
  }

  int(v: number): this {
    this.room(4);
    this.buf.writeInt32BE(v, this.o);
    this.o += 4;
    return this;
  }

  long(v: bigint | number): this {
    this.room(8);
    this.buf.writeBigInt64BE(BigInt(v), this.o);
    this.o += 8;
    return this;
  }

  bool(v: boolean): this {
    this.room(1);
    this.buf[this.o++] = v ? 1 : 0;
    return this;
  }

  /** Bytes as they are, with no length. */
  raw(v: Uint8Array): this {
    this.room(v.length);
    this.buf.set(v, this.o);
    this.o += v.length;
    return this;
  }

  buffer(v: Uint8Array | null): this {
    if (v === null) return this.int(-1);
    return this.int(v.length).raw(v);
  }

  string(s: string | null): this {
    return this.buffer(s === null ? null : Buffer.from(s, "utf8"));
  }

  strings(list: readonly string[]): this {
    this.int(list.length);
    for (const s of list) this.string(s);
    return this;
  }

  acl(list: readonly JuteAcl[]): this {
    this.int(list.length);
    for (const a of list) this.int(a.perms).string(a.scheme).string(a.id);
    return this;
  }

  stat(s: JuteStat): this {
    return this.long(s.czxid)
      .long(s.mzxid)
      .long(s.ctime)
      .long(s.mtime)
      .int(s.version)
      .int(s.cversion)
      .int(s.aversion)
      .long(s.ephemeralOwner)
      .int(s.dataLength)
      .int(s.numChildren)
      .long(s.pzxid);
  }

  get length(): number {
    return this.o;
  }

  done(): Buffer {
    return this.buf.subarray(0, this.o);
  }

  /** The bytes with their 4-byte length in front: one frame on the wire. */
  frame(): Buffer {
    const out = Buffer.allocUnsafe(4 + this.o);
    out.writeInt32BE(this.o, 0);
    this.buf.copy(out, 4, 0, this.o);
    return out;
  }
}

export class Reader {
  private o = 0;

  constructor(private readonly b: Buffer) {}

  private need(n: number): void {
    if (this.o + n > this.b.length) throw new MarshallingError(`record truncated: needed ${n} more bytes at offset ${this.o} of ${this.b.length}`);
  }

  int(): number {
    this.need(4);
    const v = this.b.readInt32BE(this.o);
    this.o += 4;
    return v;
  }

  long(): bigint {
    this.need(8);
    const v = this.b.readBigInt64BE(this.o);
    this.o += 8;
    return v;
  }

  bool(): boolean {
    this.need(1);
    return this.b[this.o++] !== 0;
  }

  buffer(): Buffer | null {
    const n = this.int();
    if (n < 0) return null;
    this.need(n);
    const d = this.b.subarray(this.o, this.o + n);
    this.o += n;
    return d;
  }

  string(): string | null {
    const d = this.buffer();
    return d === null ? null : d.toString("utf8");
  }

  /** A vector's count: -1 (null) reads as empty. */
  count(): number {
    const n = this.int();
    if (n > this.left()) throw new MarshallingError(`vector of ${n} items cannot fit in ${this.left()} bytes`);
    return Math.max(n, 0);
  }

  strings(): string[] {
    const n = this.count();
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(this.string() ?? "");
    return out;
  }

  acl(): JuteAcl[] {
    const n = this.count();
    const out: JuteAcl[] = [];
    for (let i = 0; i < n; i++) out.push({ perms: this.int(), scheme: this.string() ?? "", id: this.string() ?? "" });
    return out;
  }

  stat(): JuteStat {
    return {
      czxid: this.long(),
      mzxid: this.long(),
      ctime: this.long(),
      mtime: this.long(),
      version: this.int(),
      cversion: this.int(),
      aversion: this.int(),
      ephemeralOwner: this.long(),
      dataLength: this.int(),
      numChildren: this.int(),
      pzxid: this.long(),
    };
  }

  left(): number {
    return this.b.length - this.o;
  }
}

/**
 * Splits a byte stream into frames (a 4-byte big-endian length, then that
 * many bytes). `maxFrame` bounds a length before its bytes are awaited.
 */
export class Framer {
  private chunks: Buffer[] = [];
  private held = 0;

  constructor(private readonly maxFrame: number) {}

  /** Adds bytes; returns the frames now complete. Throws MarshallingError on an impossible length. */
  push(data: Buffer): Buffer[] {
    this.chunks.push(data);
    this.held += data.length;
    const out: Buffer[] = [];
    for (;;) {
      if (this.held < 4) break;
      const head = this.peek(4);
      const n = head.readInt32BE(0);
      if (n < 0 || n > this.maxFrame) throw new MarshallingError(`frame length ${n} is outside 0…${this.maxFrame}`);
      if (this.held < 4 + n) break;
      const all = this.take(4 + n);
      out.push(all.subarray(4));
    }
    return out;
  }

  /** The first `n` held bytes, without consuming them. */
  peek(n: number): Buffer {
    if (this.chunks[0]!.length < n) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0]!.subarray(0, n);
  }

  /** Every held byte, without consuming them. */
  peekAll(): Buffer {
    return this.chunks.length === 0 ? Buffer.alloc(0) : this.peek(this.held);
  }

  get pending(): number {
    return this.held;
  }

  private take(n: number): Buffer {
    if (this.chunks[0]!.length < n) this.chunks = [Buffer.concat(this.chunks)];
    const first = this.chunks[0]!;
    const out = first.subarray(0, n);
    if (first.length === n) this.chunks.shift();
    else this.chunks[0] = first.subarray(n);
    this.held -= n;
    return out;
  }
}
