// One client connection: the ConnectRequest, then requests in, replies and
// watch notifications out, as a ZooKeeper server's ServerCnxn does.
//
// Order: replies go out in request order. Writes (and addAuth, which changes
// who later requests are) start after everything before them finished; reads
// start after the writes before them, so a session sees its own writes
// (ZooKeeper's FIFO client order) while reads overlap. A reply at zxid Z on a
// connection that watches anything goes out after the notifications of every
// txn up to Z (watches.ts), and a read's watch is set as its reply is written.
import type { Socket } from "node:net";
import { digestId } from "../lib/acl.js";
import type { Config } from "../lib/config.js";
import { Ctx } from "../lib/context.js";
import { EtcdLimitError, EtcdUnavailableError } from "../lib/etcd/errors.js";
import type { Etcd } from "../lib/etcd/types.js";
import { ZK_CODES, ZkError, zkCodeNumber } from "../lib/errors.js";
import { isTtl, type Fired, type Identity, type Stat, type WriteOp, type WriteResult, type ZNode } from "../lib/model.js";
import { checkCredentials } from "../lib/credentials.js";
import { closeSession, inspectSession, openSession, pingSession, resumeSession } from "../lib/sessions.js";
import { statOf } from "../lib/stat.js";
import { readSettled } from "../lib/settle.js";
import { checkCaller, countDescendants, exists, getAcl, getChildren, getData, multiRead, sync, write } from "../lib/znodes.js";
import { validatePath } from "../lib/path.js";
import { Framer, MarshallingError, Reader, Writer, type JuteStat } from "./codec.js";
import { ADD_WATCH_MODE, EVENT, modeOfFlags, OP, readConnectRequest, readCreate, readMulti, str, SYNC_CONNECTED, WATCHER_TYPE, XID, type CreateRequest, type MultiEntry } from "./protocol.js";
import type { WatchHub, Watcher } from "./watches.js";
import { answerFourLetterWord, FOUR_LETTER_WORDS } from "./four-letter.js";
import type { ServerStats } from "./stats.js";

/** jute.maxbuffer's default, plus room for a request's other fields. */
const MAX_FRAME = 1024 * 1024 + 64 * 1024;

/**
 * Requests started and not yet answered on one connection. Past it, requests
 * read wait their turn and the socket is not read until replies go out
 * (ZooKeeper throttles reading past its globalOutstandingLimit, 1000 by default).
 */
const MAX_OUTSTANDING = 1000;

const EMPTY = Buffer.alloc(0);

/** Codes ZooKeeper has that lib/errors.ts need not know. */
const NOWATCHER = -121;

/** Requests that must start after every earlier one has finished. */
const BARRIERS = new Set<number>([OP.create, OP.create2, OP.createContainer, OP.createTTL, OP.delete, OP.setData, OP.setACL, OP.multi, OP.check, OP.closeSession, OP.auth]);

export interface ConnectionDeps {
  config: Config;
  etcd: Etcd;
  hub: WatchHub;
  stats: ServerStats;
  /** The listening port, for conf. */
  port?: number;
}

interface Reply {
  xid: number;
  zxid: bigint;
  err: number;
  body?: Buffer;
  /** Runs as the reply is written: sets the watch a read asked for. */
  onWrite?: () => void;
  /** Close the connection after this reply. */
  close?: boolean;
}

/** Ends the connection without a reply: ZooKeeper's answer to a lost quorum, an expired session, a malformed packet. */
class Drop extends Error {
  override name = "Drop";
}

export function juteStat(s: Stat): JuteStat {
  return { ...s, ctime: BigInt(s.ctime), mtime: BigInt(s.mtime) };
}

const EVENT_CODE: Record<Fired["type"], number> = EVENT;

export class Connection implements Watcher {
  ids: Identity[] = [];
  sessionId = 0n;
  timeoutMs = 0;
  private passwd: Uint8Array = new Uint8Array(16);
  private readonly framer = new Framer(MAX_FRAME);
  private connected: Promise<boolean> | undefined;
  private lastAll: Promise<unknown> = Promise.resolve();
  private lastBarrier: Promise<unknown> = Promise.resolve();
  private out: Promise<unknown> = Promise.resolve();
  private closed = false;
  private lastHeard = Date.now();
  private lastKeepAlive = 0;
  private timer: NodeJS.Timeout | undefined;
  readonly remote: string;
  received = 0;
  sent = 0;
  lastZxid = -1n;
  private firstBytes = true;
  /** Requests started and not yet answered (or dropped). */
  outstanding = 0;
  /** Frames read and not yet started, from backlogAt on. */
  private backlog: Buffer[] = [];
  private backlogAt = 0;

  constructor(
    private readonly sock: Socket,
    private readonly deps: ConnectionDeps,
  ) {
    this.remote = `${sock.remoteAddress}:${sock.remotePort}`;
    if (sock.remoteAddress) this.ids.push({ scheme: "ip", id: sock.remoteAddress.startsWith("::ffff:") ? sock.remoteAddress.slice(7) : sock.remoteAddress });
    sock.setNoDelay(true);
    sock.on("data", (d: Buffer) => this.onData(d));
    sock.on("error", () => undefined);
    sock.on("close", () => this.onClose());
    sock.on("drain", () => this.flow());
    // A connection that never asks for a session (a port scan, a stuck
    // client) would hold a socket for ever; ZooKeeper closes it after 10 s.
    this.timer = setTimeout(() => {
      if (this.connected === undefined && !this.closed) this.destroy();
    }, deps.config.clientHandshakeMs);
    this.timer.unref();
  }

  private ctx(): Ctx {
    return new Ctx(this.deps.etcd, this.deps.config, { ids: this.ids, session: this.sessionId === 0n ? undefined : this.sessionId });
  }

  private onData(d: Buffer): void {
    if (this.closed) return;
    this.lastHeard = Date.now();
    let frames: Buffer[];
    try {
      if (this.firstBytes && this.framer.pending + d.length >= 4) {
        this.firstBytes = false;
        const head = Buffer.concat([this.framer.peekAll(), d]).subarray(0, 4).toString("latin1");
        if (FOUR_LETTER_WORDS.has(head)) {
          this.closed = true;
          void answerFourLetterWord(head, this.deps).then(
            (text) => this.sock.end(text),
            () => this.sock.destroy(),
          );
          return;
        }
      }
      frames = this.framer.push(d);
    } catch {
      this.destroy();
      return;
    }
    for (const frame of frames) this.backlog.push(frame);
    this.pump();
  }

  /** Starts the requests read so far, up to MAX_OUTSTANDING unanswered. */
  private pump(): void {
    while (this.backlogAt < this.backlog.length && this.outstanding < MAX_OUTSTANDING && !this.closed) {
      const frame = this.backlog[this.backlogAt]!;
      this.backlog[this.backlogAt++] = EMPTY;
      this.onFrame(frame);
    }
    if (this.backlogAt === this.backlog.length) {
      this.backlog = [];
      this.backlogAt = 0;
    }
    this.flow();
  }

  private onFrame(frame: Buffer): void {
    this.received++;
    this.deps.stats.received++;
    if (this.connected === undefined) {
      clearTimeout(this.timer);
      this.connected = this.connect(frame).catch((e) => {
        this.fail(e);
        return false;
      });
      return;
    }
    const started = Date.now();
    let xid: number;
    let type: number;
    const r = new Reader(frame);
    try {
      xid = r.int();
      type = r.int();
    } catch {
      this.destroy();
      return;
    }
    const barrier = BARRIERS.has(type);
    const after = barrier ? this.lastAll : this.lastBarrier;
    const run: Promise<Reply | null> = Promise.all([this.connected, after]).then(async ([ok]) => {
      if (!ok || this.closed) return null;
      const ctx = this.ctx();
      try {
        return await this.execute(xid, type, r, ctx);
      } catch (e) {
        return this.failure(xid, e, ctx);
      }
    });
    // Only the ordering is kept, not the replies (they would pile up for the connection's life).
    this.lastAll = Promise.all([this.lastAll, run]).then(() => undefined);
    if (barrier) this.lastBarrier = run;
    this.outstanding++;
    this.out = this.out
      .then(async () => {
        const reply = await run;
        if (reply === null || this.closed) return;
        if (type !== OP.ping) this.deps.stats.latency(Date.now() - started);
        await this.send(reply);
      })
      .catch((e: unknown) => this.fail(e))
      .finally(() => {
        this.outstanding--;
        this.pump();
      });
  }

  /**
   * Reads only while the client takes its replies: with requests waiting
   * their turn, or while the socket's outgoing buffer is full, a client that
   * sends without reading would otherwise grow this process without bound.
   */
  private flow(): void {
    if (this.closed) return;
    const hold = this.backlogAt < this.backlog.length || this.sock.writableNeedDrain;
    if (hold && !this.sock.isPaused()) this.sock.pause();
    else if (!hold && this.sock.isPaused()) this.sock.resume();
  }

  /** The reply for an error, or null after ending the connection. */
  private failure(xid: number, e: unknown, ctx: Ctx): Reply | null {
    // A failed write still spent a zxid (its error txn); a failed read answers the zxid it read at.
    const zxid = ctx.lastZxid ?? this.lastZxid;
    if (e instanceof ZkError) {
      const code = zkCodeNumber(e.code);
      // ZooKeeper answers no request of an expired session (it closes the
      // connection; the client's reconnect then learns of the expiry), and
      // drops a connection that sent a packet over jute.maxbuffer.
      if (e.code === "SESSIONEXPIRED" || e.code === "TOOLARGE" || code === null) {
        this.fail(e);
        return null;
      }
      return { xid, zxid, err: code };
    }
    if (e instanceof EtcdLimitError) return { xid, zxid, err: ZK_CODES.MARSHALLINGERROR };
    // A malformed request, etcd away, or a bug: the connection ends (fail logs the last).
    this.fail(e);
    return null;
  }

  /** Ends the connection for `e`; logs what is not a routine end. */
  private fail(e: unknown): void {
    const routine = e instanceof Drop || e instanceof EtcdUnavailableError || e instanceof MarshallingError || (e instanceof ZkError && (e.code === "SESSIONEXPIRED" || e.code === "TOOLARGE"));
    if (!routine) {
      console.error(`zkwire: closing ${this.remote} (session 0x${this.sessionId.toString(16)}):`, e);
    }
    this.destroy();
  }

  destroy(): void {
    this.closed = true;
    this.sock.destroy();
  }

  private onClose(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.deps.hub.removeAll(this);
    this.deps.stats.connections.delete(this);
  }

  private async send(reply: Reply): Promise<void> {
    if (reply.zxid >= 0n && this.deps.hub.listening(this)) await this.deps.hub.caughtUp(reply.zxid);
    if (this.closed) return;
    const w = new Writer(16 + (reply.body?.length ?? 0)).int(reply.xid).long(reply.zxid).int(reply.err);
    if (reply.body) w.raw(reply.body);
    this.write(w.frame());
    reply.onWrite?.();
    if (reply.zxid > this.lastZxid) this.lastZxid = reply.zxid;
    if (reply.close) this.sock.end();
  }

  private write(frame: Buffer): void {
    this.sent++;
    this.deps.stats.sent++;
    this.sock.write(frame);
  }

  notify(type: Fired["type"], path: string, _zxid: bigint): void {
    if (this.closed) return;
    // ZooKeeper 3.8 sends notifications with zxid -1 in the reply header.
    this.write(new Writer(32 + path.length).int(XID.notification).long(-1n).int(0).int(EVENT_CODE[type]).int(SYNC_CONNECTED).string(path).frame());
  }

  // ------------------------------------------------------------ session

  private async connect(frame: Buffer): Promise<boolean> {
    const req = readConnectRequest(new Reader(frame));
    const ctx = new Ctx(this.deps.etcd, this.deps.config, { ids: this.ids });
    let session: { id: bigint; timeoutMs: number };
    if (req.sessionId === 0n) {
      const opened = await openSession(ctx, Math.max(req.timeoutMs, 1));
      session = opened;
      this.passwd = opened.password;
    } else {
      try {
        session = await resumeSession(ctx, req.sessionId, req.passwd);
        this.passwd = req.passwd;
      } catch (e) {
        if (!(e instanceof ZkError && e.code === "SESSIONEXPIRED")) throw e;
        // ZooKeeper's answer to a reconnect of an expired session (or a wrong
        // password): a zero timeout, then the connection closes.
        this.write(connectResponse(0, 0n, new Uint8Array(16)));
        this.sock.end();
        this.closed = true;
        return false;
      }
    }
    const zxid = ctx.lastZxid ?? -1n;
    if (req.lastZxidSeen > zxid) {
      // The client has seen a newer tree than this one: ZooKeeper refuses it.
      if (req.sessionId === 0n) await closeSession(this.ctxFor(session.id), session.id).catch(() => undefined);
      throw new Drop(`client has seen zxid ${req.lastZxidSeen}, ours is ${zxid}`);
    }
    if (this.closed) {
      // The client hung up during the handshake: a session opened for it has no one to keep it.
      if (req.sessionId === 0n) await closeSession(this.ctxFor(session.id), session.id).catch(() => undefined);
      return false;
    }
    // A session lives on one connection: the one it left (if still open here) goes, as ZooKeeper's server closes it.
    for (const other of this.deps.stats.connections) if (other.sessionId === session.id && other instanceof Connection) other.destroy();
    this.sessionId = session.id;
    this.timeoutMs = session.timeoutMs;
    this.lastZxid = zxid;
    this.lastKeepAlive = Date.now();
    this.write(connectResponse(session.timeoutMs, session.id, this.passwd));
    this.deps.stats.connections.add(this);
    this.timer = setInterval(() => this.tick(), Math.max(50, Math.floor(this.timeoutMs / 3)));
    this.timer.unref();
    return true;
  }

  private ctxFor(session: bigint): Ctx {
    return new Ctx(this.deps.etcd, this.deps.config, { ids: this.ids, session });
  }

  /**
   * Keeps the session alive while the client is heard from, as ZooKeeper's
   * server touches a session on every packet; a client silent for its whole
   * timeout is gone, and so is the connection.
   */
  private tick(): void {
    const now = Date.now();
    if (now - this.lastHeard > this.timeoutMs) {
      this.destroy();
      return;
    }
    if (this.lastHeard > this.lastKeepAlive && now - this.lastKeepAlive >= this.timeoutMs / 3) {
      this.lastKeepAlive = now;
      this.deps.etcd.leaseKeepAlive(this.sessionId).then(
        (alive) => {
          if (!alive) this.destroy();
        },
        (e) => this.fail(e),
      );
    }
  }

  // ------------------------------------------------------------ requests

  private async execute(xid: number, type: number, r: Reader, ctx: Ctx): Promise<Reply> {
    // Unless anonymous callers are allowed (ZK_ALLOW_ANONYMOUS), a connection must
    // authenticate first, as ZooKeeper 3.7+'s enforce.auth.enabled has it: any
    // other request fails AUTHFAILED and the connection closes.
    if (!this.deps.config.allowAnonymous && type !== OP.auth && type !== OP.ping && type !== OP.closeSession && !this.ids.some((i) => i.scheme === "digest")) {
      return { xid, zxid: this.lastZxid, err: ZK_CODES.AUTHFAILED, close: true };
    }
    const ok = (body?: Buffer, extra: Partial<Reply> = {}): Reply => ({ xid, zxid: ctx.lastZxid ?? this.lastZxid, err: 0, body, ...extra });
    switch (type) {
      case OP.ping: {
        this.lastKeepAlive = Date.now();
        await pingSession(ctx, this.sessionId);
        return ok();
      }
      case OP.auth:
        return this.addAuth(xid, r);
      case OP.closeSession: {
        await closeSession(ctx, this.sessionId);
        return ok(undefined, { close: true });
      }
      case OP.exists: {
        const path = str(r);
        const watch = r.bool();
        try {
          const node = await exists(ctx, path);
          return ok(new Writer(80).stat(juteStat(statOf(node))).done(), { onWrite: this.watchOnWrite(watch, "data", path, ctx) });
        } catch (e) {
          // exists sets its watch on a missing node too: it fires when the node comes.
          if (e instanceof ZkError && e.code === "NONODE") return { xid, zxid: ctx.lastZxid ?? this.lastZxid, err: ZK_CODES.NONODE, onWrite: this.watchOnWrite(watch, "data", path, ctx) };
          throw e;
        }
      }
      case OP.getData: {
        const path = str(r);
        const watch = r.bool();
        const node = await getData(ctx, path);
        return ok(new Writer(node.data.length + 96).buffer(node.data).stat(juteStat(statOf(node))).done(), { onWrite: this.watchOnWrite(watch, "data", path, ctx) });
      }
      case OP.getChildren:
      case OP.getChildren2: {
        const path = str(r);
        const watch = r.bool();
        const { node, children } = await getChildren(ctx, path);
        const w = new Writer().strings(children);
        if (type === OP.getChildren2) w.stat(juteStat(statOf(node)));
        return ok(w.done(), { onWrite: this.watchOnWrite(watch, "child", path, ctx) });
      }
      case OP.getACL: {
        const { node, acl } = await getAcl(ctx, str(r));
        return ok(new Writer().acl(acl).stat(juteStat(statOf(node))).done());
      }
      case OP.sync: {
        const path = str(r);
        await sync(ctx, path);
        return ok(new Writer().string(path).done());
      }
      case OP.getEphemerals: {
        const prefix = r.string() ?? "";
        const { ephemerals } = await inspectSession(ctx, this.sessionId);
        const all = prefix.trim() === "" || prefix.trim() === "/";
        return ok(new Writer().strings(all ? ephemerals : ephemerals.filter((p) => p.startsWith(prefix))).done());
      }
      case OP.getAllChildrenNumber:
        return ok(new Writer().int(await countDescendants(ctx, str(r))).done());
      case OP.create:
      case OP.create2:
      case OP.createContainer:
      case OP.createTTL: {
        const req = readCreate(r, type === OP.createTTL);
        const { zxid, results } = await write(ctx, [createOp(req, type)]);
        const created = results[0] as Extract<WriteResult, { op: "create" }>;
        const w = new Writer().string(created.path);
        if (type !== OP.create) w.stat(juteStat(statOf(created.node, zxid)));
        return { xid, zxid, err: 0, body: w.done() };
      }
      case OP.delete: {
        const path = str(r);
        const { zxid } = await write(ctx, [{ op: "delete", path, version: r.int() }]);
        return { xid, zxid, err: 0 };
      }
      case OP.setData: {
        const path = str(r);
        const data = r.buffer() ?? new Uint8Array(0);
        const { zxid, results } = await write(ctx, [{ op: "setData", path, data, version: r.int() }]);
        return { xid, zxid, err: 0, body: new Writer(80).stat(juteStat(statOf(nodeOf(results[0]!), zxid))).done() };
      }
      case OP.setACL: {
        const path = str(r);
        const acl = r.acl();
        const { zxid, results } = await write(ctx, [{ op: "setACL", path, acl, version: r.int() }]);
        return { xid, zxid, err: 0, body: new Writer(80).stat(juteStat(statOf(nodeOf(results[0]!), zxid))).done() };
      }
      case OP.check: {
        const path = str(r);
        const { zxid } = await write(ctx, [{ op: "check", path, version: r.int() }]);
        return { xid, zxid, err: 0 };
      }
      case OP.multi:
        return this.multi(xid, ctx, readMulti(r));
      case OP.multiRead:
        return this.multiRead(xid, ctx, readMulti(r));
      case OP.addWatch: {
        const path = str(r);
        const mode = r.int();
        validatePath(path);
        if (mode !== ADD_WATCH_MODE.persistent && mode !== ADD_WATCH_MODE.persistentRecursive) throw new ZkError("BADARGUMENTS", `addWatch mode ${mode} is not 0 or 1`);
        const zxid = await checkCaller(ctx);
        const recursive = mode === ADD_WATCH_MODE.persistentRecursive;
        // Its reply body is an ErrorResponse (the Java client reads one).
        return ok(new Writer(4).int(0).done(), {
          onWrite: () => {
            this.deps.hub.add(this, "data", path, recursive ? "recursive" : "persistent", zxid);
            if (!recursive) this.deps.hub.add(this, "child", path, "persistent", zxid);
          },
        });
      }
      case OP.setWatches:
      case OP.setWatches2:
        return this.setWatches(xid, ctx, r, type === OP.setWatches2);
      case OP.checkWatches:
      case OP.removeWatches: {
        const path = str(r);
        const which = r.int();
        const tables = which === WATCHER_TYPE.children ? (["child"] as const) : which === WATCHER_TYPE.data ? (["data"] as const) : (["data", "child"] as const);
        const zxid = await checkCaller(ctx);
        const found = tables.filter((t) => this.deps.hub.has(this, t, path));
        if (found.length === 0) return { xid, zxid, err: NOWATCHER };
        if (type === OP.removeWatches) for (const t of found) this.deps.hub.remove(this, t, path);
        return { xid, zxid, err: 0 };
      }
      case OP.whoAmI: {
        const w = new Writer().int(this.ids.length);
        for (const id of this.ids) w.string(id.scheme).string(id.scheme === "digest" ? id.id.slice(0, id.id.lastIndexOf(":")) : id.id);
        await checkCaller(ctx);
        return ok(w.done());
      }
      default: {
        // reconfig, SASL and whatever a newer client may send.
        const zxid = await checkCaller(ctx);
        return { xid, zxid, err: ZK_CODES.UNIMPLEMENTED };
      }
    }
  }

  /** The hook that sets a read's watch as its reply goes out: it hears the txns after the read's zxid. */
  private watchOnWrite(watch: boolean, table: "data" | "child", path: string, ctx: Ctx): (() => void) | undefined {
    if (!watch) return undefined;
    const zxid = ctx.lastZxid ?? this.lastZxid;
    return () => this.deps.hub.add(this, table, path, "standard", zxid);
  }

  /** addAuthInfo: digest credentials add an identity; anything else fails and closes, as ZooKeeper does. */
  private async addAuth(xid: number, r: Reader): Promise<Reply> {
    r.int(); // type: unused by ZooKeeper
    const scheme = r.string() ?? "";
    const auth = (r.buffer() ?? Buffer.alloc(0)).toString("utf8");
    const colon = auth.indexOf(":");
    const user = auth.slice(0, colon);
    // The pairs HTTP callers may use, admin ones included (lib/credentials.ts).
    const accepted = scheme === "digest" && colon >= 0 && checkCredentials(this.deps.config, user, auth.slice(colon + 1)).accepted;
    if (!accepted) return { xid, zxid: this.lastZxid, err: ZK_CODES.AUTHFAILED, close: true };
    const id = await digestId(user, auth.slice(colon + 1));
    if (!this.ids.some((i) => i.scheme === "digest" && i.id === id)) this.ids.push({ scheme: "digest", id });
    return { xid, zxid: this.lastZxid, err: 0 };
  }

  private async multi(xid: number, ctx: Ctx, entries: MultiEntry[]): Promise<Reply> {
    const ops = entries.map((e): WriteOp => {
      switch (e.type) {
        case OP.create:
        case OP.create2:
        case OP.createContainer:
        case OP.createTTL:
          return createOp(e.create, e.type);
        case OP.delete:
        case OP.check:
          return { op: e.type === OP.delete ? "delete" : "check", path: e.path, version: e.version };
        case OP.setData:
          return { op: "setData", path: e.path, data: e.data, version: e.version };
        default:
          throw new MarshallingError(`a multi may not hold a read (op type ${e.type})`);
      }
    });
    const w = new Writer();
    try {
      const { zxid, results } = await write(ctx, ops, true);
      results.forEach((res, i) => {
        const type = entries[i]!.type;
        w.int(type).bool(false).int(0);
        if (res.op === "create") {
          w.string(res.path);
          if (type !== OP.create) w.stat(juteStat(statOf(res.node, zxid)));
        } else if (res.op === "setData") w.stat(juteStat(statOf(res.node, zxid)));
      });
      w.int(-1).bool(true).int(-1);
      return { xid, zxid, err: 0, body: w.done() };
    } catch (e) {
      if (!(e instanceof ZkError) || !e.results) throw e;
      // A failed multi answers OK, with every op's outcome as an error result.
      for (const res of e.results) {
        const code = ZK_CODES[res.code];
        w.int(OP.error).bool(false).int(code).int(code);
      }
      w.int(-1).bool(true).int(-1);
      return { xid, zxid: ctx.lastZxid ?? this.lastZxid, err: 0, body: w.done() };
    }
  }

  private async multiRead(xid: number, ctx: Ctx, entries: MultiEntry[]): Promise<Reply> {
    const ops = entries.map((e) => {
      if (e.type !== OP.getData && e.type !== OP.getChildren) throw new MarshallingError(`multiRead may hold only getData and getChildren, not op type ${e.type}`);
      return { op: e.type === OP.getData ? ("getData" as const) : ("getChildren" as const), path: e.path };
    });
    const results = await multiRead(ctx, ops);
    if (ops.length === 0) await checkCaller(ctx);
    const w = new Writer();
    for (const res of results) {
      if ("error" in res) {
        const code = zkCodeNumber(res.error.code) ?? ZK_CODES.SYSTEMERROR;
        w.int(OP.error).bool(false).int(code).int(code);
      } else if (res.op === "getData") {
        w.int(OP.getData).bool(false).int(0).buffer(res.node.data).stat(juteStat(statOf(res.node)));
      } else {
        w.int(OP.getChildren).bool(false).int(0).strings(res.children);
      }
    }
    w.int(-1).bool(true).int(-1);
    return { xid, zxid: ctx.lastZxid ?? this.lastZxid, err: 0, body: w.done() };
  }

  /**
   * setWatches after a reconnect (DataTree.setWatches): a watch whose event
   * the client missed while away fires now; the rest are set again.
   */
  private async setWatches(xid: number, ctx: Ctx, r: Reader, v2: boolean): Promise<Reply> {
    const relZxid = r.long();
    const data = r.strings();
    const exist = r.strings();
    const child = r.strings();
    const persistent = v2 ? r.strings() : [];
    const recursive = v2 ? r.strings() : [];
    const snap = await readSettled(ctx, { paths: [...data, ...exist, ...child] });
    const zxid = snap.zxid;
    const now: { type: Fired["type"]; path: string }[] = [];
    const later: (() => void)[] = [];
    const hub = this.deps.hub;
    for (const p of data) {
      const n = snap.node(p);
      if (n === null) now.push({ type: "NodeDeleted", path: p });
      else if ((n.mzxid ?? zxid) > relZxid) now.push({ type: "NodeDataChanged", path: p });
      else later.push(() => hub.add(this, "data", p, "standard", zxid));
    }
    for (const p of exist) {
      if (snap.node(p) !== null) now.push({ type: "NodeCreated", path: p });
      else later.push(() => hub.add(this, "data", p, "standard", zxid));
    }
    for (const p of child) {
      const n = snap.node(p);
      if (n === null) now.push({ type: "NodeDeleted", path: p });
      else if ((n.pzxid ?? zxid) > relZxid) now.push({ type: "NodeChildrenChanged", path: p });
      else later.push(() => hub.add(this, "child", p, "standard", zxid));
    }
    for (const p of persistent) {
      later.push(() => {
        hub.add(this, "data", p, "persistent", zxid);
        hub.add(this, "child", p, "persistent", zxid);
      });
    }
    for (const p of recursive) later.push(() => hub.add(this, "data", p, "recursive", zxid));
    return {
      xid,
      zxid,
      err: 0,
      onWrite: () => {
        for (const e of now) this.notify(e.type, e.path, zxid);
        for (const f of later) f();
      },
    };
  }
}

function nodeOf(res: WriteResult): ZNode {
  if (!("node" in res)) throw new Error(`${res.op} returned no node`);
  return res.node;
}

/** A create request as lib's op: the mode from its flags, the TTL only from createTTL. */
function createOp(req: CreateRequest, type: number): WriteOp {
  const mode = modeOfFlags(req.flags);
  if (mode === null) throw new ZkError("BADARGUMENTS", `create flags ${req.flags} name no create mode`, req.path);
  if (type === OP.createContainer && mode !== "container") throw new ZkError("BADARGUMENTS", "createContainer needs the container flag", req.path);
  const ttlMs = type === OP.createTTL ? Number(req.ttl) : 0;
  if (type === OP.createTTL && !isTtl(mode)) throw new ZkError("BADARGUMENTS", `a TTL is not valid for mode ${mode}`, req.path);
  return { op: "create", path: req.path, data: req.data, acl: req.acl, mode, ttlMs };
}

function connectResponse(timeoutMs: number, sessionId: bigint, passwd: Uint8Array): Buffer {
  return new Writer(48).int(0).int(timeoutMs).long(sessionId).buffer(passwd).bool(false).frame();
}
