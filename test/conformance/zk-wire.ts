// A minimal ZooKeeper wire-protocol (jute) client for the conformance harness.
//
// node-zookeeper-client cannot express everything the comparison needs: the
// reply header's zxid of every answer, create2/createContainer/createTTL with
// the created node's Stat, null data, exact per-op multi results, multiRead,
// getEphemerals, and — above all — dropping the TCP connection *without*
// closeSession, so that the server really expires the session. This client
// speaks the protocol directly; it does no client-side validation (see
// zk-side.ts, which adds what ZooKeeper's Java client checks before sending).
import net from "node:net";
import { Reader, Writer, type JuteAcl, type JuteStat } from "../../zkwire/codec.js";
import { OP } from "../../zkwire/protocol.js";

export { OP, Reader };

/** KeeperException.Code names as docs/api.md spells them. */
export const ERR: Record<number, string> = {
  0: "OK",
  [-1]: "SYSTEMERROR",
  [-2]: "RUNTIMEINCONSISTENCY",
  [-3]: "DATAINCONSISTENCY",
  [-4]: "CONNECTIONLOSS",
  [-5]: "MARSHALLINGERROR",
  [-6]: "UNIMPLEMENTED",
  [-7]: "OPERATIONTIMEOUT",
  [-8]: "BADARGUMENTS",
  [-12]: "UNKNOWNSESSION",
  [-13]: "NEWCONFIGNOQUORUM",
  [-14]: "RECONFIGINPROGRESS",
  [-100]: "APIERROR",
  [-101]: "NONODE",
  [-102]: "NOAUTH",
  [-103]: "BADVERSION",
  [-108]: "NOCHILDRENFOREPHEMERALS",
  [-110]: "NODEEXISTS",
  [-111]: "NOTEMPTY",
  [-112]: "SESSIONEXPIRED",
  [-113]: "INVALIDCALLBACK",
  [-114]: "INVALIDACL",
  [-115]: "AUTHFAILED",
  [-118]: "SESSIONMOVED",
  [-119]: "NOTREADONLY",
  [-120]: "EPHEMERALONLOCALSESSION",
  [-121]: "NOWATCHER",
  [-122]: "REQUESTTIMEOUT",
  [-125]: "QUOTAEXCEEDED",
  [-127]: "THROTTLEDOP",
};
export const errName = (code: number): string => ERR[code] ?? `ZK${code}`;

export type WireStat = JuteStat;
export type WireAcl = JuteAcl;

export const OPEN_ACL: WireAcl[] = [{ perms: 31, scheme: "world", id: "anyone" }];

/** A multi or multiRead reply: each result's header (type, done, err), until done. */
function* multiHeaders(r: Reader): Generator<{ type: number; err: number }> {
  for (;;) {
    const type = r.int();
    const done = r.bool();
    const err = r.int();
    if (done) return;
    yield { type, err };
  }
}

const copy = (b: Buffer | null): Buffer | null => (b === null ? null : Buffer.from(b));

/** A reply: its header's zxid and error code, and the body reader when err is 0. */
export interface Reply {
  zxid: bigint;
  err: number;
  r: Reader;
  /** Notifications that arrived before this reply: a watch this request sets fires only after it. */
  notificationsBefore: number;
}

export type WireMultiOp =
  | { type: "create" | "createContainer"; path: string; data: Uint8Array | null; acl: WireAcl[]; flags: number }
  | { type: "createTTL"; path: string; data: Uint8Array | null; acl: WireAcl[]; flags: number; ttl: number }
  | { type: "delete"; path: string; version: number }
  | { type: "setData"; path: string; data: Uint8Array | null; version: number }
  | { type: "check"; path: string; version: number };

export interface WireMultiResult {
  /** The opcode of the result record (-1 for an error result). */
  type: number;
  err: number;
  path?: string;
  stat?: WireStat;
}

export type WireReadOp = { type: "getData" | "getChildren"; path: string };
export type WireReadResult =
  | { type: "getData"; err: number; data: Buffer | null; stat: WireStat }
  | { type: "getChildren"; err: number; children: string[] }
  | { type: "error"; err: number };

interface Pending {
  resolve(r: Reply): void;
  reject(e: Error): void;
}

const CONNECT_TIMEOUT_MS = 15_000;

export interface ConnectOptions {
  timeoutMs: number;
  /** Reconnect to this session (with its password) instead of opening one. */
  sessionId?: bigint;
  passwd?: Buffer;
  /** Send pings at a third of the negotiated timeout (default true). */
  ping?: boolean;
}

/** A watch notification as the server sent it (WatcherEvent, reply xid −1). */
export interface WireNotification {
  type: number;
  state: number;
  path: string;
  /** The reply header's zxid. */
  zxid: bigint;
}

/** ZooKeeper's Watcher.Event.EventType codes. */
export const EVENT_TYPES: Record<number, string> = { 1: "NodeCreated", 2: "NodeDeleted", 3: "NodeDataChanged", 4: "NodeChildrenChanged" };

export class ZkWire {
  /** Every watch notification received, in order. */
  readonly notifications: WireNotification[] = [];
  sessionId = 0n;
  passwd: Buffer = Buffer.alloc(16);
  timeoutMs = 0;
  closed = false;
  /** Called once when the connection closes, for whatever reason. */
  onClose: (() => void) | undefined;
  private sock!: net.Socket;
  private pending = new Map<number, Pending[]>();
  private xid = 1;
  private acc = Buffer.alloc(0);
  private pinger: NodeJS.Timeout | undefined;

  /**
   * Connects; resolves once the server answered the ConnectRequest. A reconnect
   * to a session the server no longer knows resolves with timeoutMs 0 (the
   * server's "session expired" answer) and a closed socket.
   */
  static connect(port: number, opts: ConnectOptions): Promise<ZkWire> {
    return new Promise((resolve, reject) => {
      const z = new ZkWire();
      let connected = false;
      const sock = net.connect({ host: "127.0.0.1", port });
      z.sock = sock;
      sock.setNoDelay(true);
      const timer = setTimeout(() => {
        if (connected) return;
        sock.destroy();
        reject(new Error(`ZooKeeper did not answer the ConnectRequest within ${CONNECT_TIMEOUT_MS} ms`));
      }, CONNECT_TIMEOUT_MS);
      timer.unref();
      sock.on("connect", () => {
        const body = new Writer()
          .int(0)
          .long(0)
          .int(opts.timeoutMs)
          .long(opts.sessionId ?? 0n)
          .buffer(opts.passwd ?? Buffer.alloc(16))
          .bool(false)
          .done();
        sock.write(Buffer.concat([new Writer().int(body.length).done(), body]));
      });
      sock.on("data", (d: Buffer) => {
        z.acc = Buffer.concat([z.acc, d]);
        while (z.acc.length >= 4) {
          const n = z.acc.readInt32BE(0);
          if (z.acc.length < 4 + n) break;
          const frame = Buffer.from(z.acc.subarray(4, 4 + n));
          z.acc = z.acc.subarray(4 + n);
          if (!connected) {
            connected = true;
            clearTimeout(timer);
            const r = new Reader(frame);
            r.int(); // protocol version
            z.timeoutMs = r.int();
            z.sessionId = r.long();
            z.passwd = r.buffer() ?? Buffer.alloc(16);
            if (z.timeoutMs > 0 && opts.ping !== false) z.startPinging();
            resolve(z);
            continue;
          }
          const r = new Reader(frame);
          const xid = r.int();
          const zxid = r.long();
          const err = r.int();
          if (xid === -1) {
            z.notifications.push({ type: r.int(), state: r.int(), path: r.string() ?? "", zxid });
            continue;
          }
          const queue = z.pending.get(xid);
          const p = queue?.shift();
          if (queue?.length === 0) z.pending.delete(xid);
          p?.resolve({ zxid, err, r, notificationsBefore: z.notifications.length });
        }
      });
      sock.on("error", (e) => {
        if (!connected) reject(e);
      });
      sock.on("close", () => {
        z.closed = true;
        z.stopPinging();
        z.onClose?.();
        for (const queue of z.pending.values()) for (const p of queue) p.reject(new Error("ZooKeeper connection closed"));
        z.pending.clear();
        if (!connected) {
          connected = true;
          // The server closes a reconnect to an expired session right after answering; a
          // close with no answer at all is a failure.
          reject(new Error("ZooKeeper closed the connection before answering the ConnectRequest"));
        }
      });
    });
  }

  startPinging(): void {
    this.stopPinging();
    this.pinger = setInterval(() => void this.ping().catch(() => undefined), Math.max(100, Math.floor(this.timeoutMs / 3)));
    this.pinger.unref();
  }

  stopPinging(): void {
    if (this.pinger) clearInterval(this.pinger);
    this.pinger = undefined;
  }

  private send(xid: number, type: number, payload: Buffer): Promise<Reply> {
    return new Promise((resolve, reject) => {
      if (this.closed) {
        reject(new Error("ZooKeeper connection closed"));
        return;
      }
      const body = Buffer.concat([new Writer().int(xid).int(type).done(), payload]);
      // Pings (and auth packets) share one fixed xid: the server answers them in order.
      const queue = this.pending.get(xid) ?? [];
      queue.push({ resolve, reject });
      this.pending.set(xid, queue);
      this.sock.write(Buffer.concat([new Writer().int(body.length).done(), body]));
    });
  }

  private call(type: number, payload: Buffer): Promise<Reply> {
    return this.send(this.xid++, type, payload);
  }

  ping(): Promise<Reply> {
    return this.send(-2, OP.ping, Buffer.alloc(0));
  }

  /** addAuthInfo: the reply says whether the credentials were accepted. */
  addAuth(scheme: string, auth: string): Promise<Reply> {
    return this.send(-4, OP.auth, new Writer().int(0).string(scheme).buffer(Buffer.from(auth, "utf8")).done());
  }

  async create(
    opcode: typeof OP.create | typeof OP.create2 | typeof OP.createContainer | typeof OP.createTTL,
    path: string,
    data: Uint8Array | null,
    acl: WireAcl[],
    flags: number,
    ttl = -1,
  ): Promise<Reply & { path?: string; stat?: WireStat }> {
    const w = new Writer().string(path).buffer(data).acl(acl).int(flags);
    if (opcode === OP.createTTL) w.long(ttl);
    const res: Reply & { path?: string; stat?: WireStat } = await this.call(opcode, w.done());
    if (res.err === 0) {
      res.path = res.r.string() ?? "";
      if (opcode !== OP.create) res.stat = res.r.stat();
    }
    return res;
  }

  delete(path: string, version: number): Promise<Reply> {
    return this.call(OP.delete, new Writer().string(path).int(version).done());
  }

  async exists(path: string, watch = false): Promise<Reply & { stat?: WireStat }> {
    const res: Reply & { stat?: WireStat } = await this.call(OP.exists, new Writer().string(path).bool(watch).done());
    if (res.err === 0) res.stat = res.r.stat();
    return res;
  }

  async getData(path: string, watch = false): Promise<Reply & { data?: Buffer | null; stat?: WireStat }> {
    const res: Reply & { data?: Buffer | null; stat?: WireStat } = await this.call(OP.getData, new Writer().string(path).bool(watch).done());
    if (res.err === 0) {
      res.data = copy(res.r.buffer());
      res.stat = res.r.stat();
    }
    return res;
  }

  async setData(path: string, data: Uint8Array | null, version: number): Promise<Reply & { stat?: WireStat }> {
    const res: Reply & { stat?: WireStat } = await this.call(OP.setData, new Writer().string(path).buffer(data).int(version).done());
    if (res.err === 0) res.stat = res.r.stat();
    return res;
  }

  async getACL(path: string): Promise<Reply & { acl?: WireAcl[]; stat?: WireStat }> {
    const res: Reply & { acl?: WireAcl[]; stat?: WireStat } = await this.call(OP.getACL, new Writer().string(path).done());
    if (res.err === 0) {
      res.acl = res.r.acl();
      res.stat = res.r.stat();
    }
    return res;
  }

  async setACL(path: string, acl: WireAcl[], version: number): Promise<Reply & { stat?: WireStat }> {
    const res: Reply & { stat?: WireStat } = await this.call(OP.setACL, new Writer().string(path).acl(acl).int(version).done());
    if (res.err === 0) res.stat = res.r.stat();
    return res;
  }

  /** addWatch (3.6): mode 0 PERSISTENT, 1 PERSISTENT_RECURSIVE. */
  addWatch(path: string, recursive: boolean): Promise<Reply> {
    return this.call(OP.addWatch, new Writer().string(path).int(recursive ? 1 : 0).done());
  }

  async getChildren2(path: string, watch = false): Promise<Reply & { children?: string[]; stat?: WireStat }> {
    const res: Reply & { children?: string[]; stat?: WireStat } = await this.call(OP.getChildren2, new Writer().string(path).bool(watch).done());
    if (res.err === 0) {
      res.children = res.r.strings();
      res.stat = res.r.stat();
    }
    return res;
  }

  async sync(path: string): Promise<Reply & { path?: string }> {
    const res: Reply & { path?: string } = await this.call(OP.sync, new Writer().string(path).done());
    if (res.err === 0) res.path = res.r.string() ?? "";
    return res;
  }

  async getEphemerals(prefix: string): Promise<Reply & { ephemerals?: string[] }> {
    const res: Reply & { ephemerals?: string[] } = await this.call(OP.getEphemerals, new Writer().string(prefix).done());
    if (res.err === 0) res.ephemerals = res.r.strings();
    return res;
  }

  async multi(ops: WireMultiOp[]): Promise<Reply & { results: WireMultiResult[] }> {
    const w = new Writer();
    for (const o of ops) {
      w.int(OP[o.type]).bool(false).int(-1);
      switch (o.type) {
        case "create":
        case "createContainer":
          w.string(o.path).buffer(o.data).acl(o.acl).int(o.flags);
          break;
        case "createTTL":
          w.string(o.path).buffer(o.data).acl(o.acl).int(o.flags).long(o.ttl);
          break;
        case "delete":
        case "check":
          w.string(o.path).int(o.version);
          break;
        case "setData":
          w.string(o.path).buffer(o.data).int(o.version);
          break;
      }
    }
    w.int(-1).bool(true).int(-1);
    const res = await this.call(OP.multi, w.done());
    const results: WireMultiResult[] = [];
    if (res.err === 0) {
      const r = res.r;
      for (const { type, err } of multiHeaders(r)) {
        const item: WireMultiResult = { type, err };
        if (type === OP.error) item.err = r.int();
        else if (type === OP.create) item.path = r.string() ?? "";
        else if (type === OP.create2 || type === OP.createContainer || type === OP.createTTL) {
          item.path = r.string() ?? "";
          item.stat = r.stat();
        } else if (type === OP.setData) item.stat = r.stat();
        results.push(item);
      }
    }
    return { ...res, results };
  }

  async multiRead(ops: WireReadOp[]): Promise<Reply & { results: WireReadResult[] }> {
    const w = new Writer();
    for (const o of ops) w.int(o.type === "getData" ? OP.getData : OP.getChildren).bool(false).int(-1).string(o.path).bool(false);
    w.int(-1).bool(true).int(-1);
    const res = await this.call(OP.multiRead, w.done());
    const results: WireReadResult[] = [];
    if (res.err === 0) {
      const r = res.r;
      for (const { type, err } of multiHeaders(r)) {
        if (type === OP.error) results.push({ type: "error", err: r.int() });
        else if (type === OP.getData) results.push({ type: "getData", err, data: copy(r.buffer()), stat: r.stat() });
        else if (type === OP.getChildren) results.push({ type: "getChildren", err, children: r.strings() });
        else throw new Error(`multiRead: unexpected result type ${type}`);
      }
    }
    return { ...res, results };
  }

  /** closeSession, then the socket. */
  async close(): Promise<Reply> {
    this.stopPinging();
    try {
      return await this.call(OP.closeSession, Buffer.alloc(0));
    } finally {
      this.sock.destroy();
    }
  }

  /** Drops the connection without closeSession: the server will expire the session. */
  drop(): void {
    this.stopPinging();
    this.closed = true;
    this.sock.destroy();
  }
}

