// The reference side: a real ZooKeeper 3.8 server, spoken to over its wire
// protocol, plus the checks ZooKeeper's Java client makes before it sends a
// request (docs/api.md follows the Java client there: a bad path, an empty ACL list,
// a bad TTL, an op on a closed or expired session are refused without a zxid).
import {
  bitsToPerms,
  bytesOf,
  isEphemeral,
  isSequential,
  isTtl,
  javaPathProblem,
  javaTtlProblem,
  MODE_FLAGS,
  permsToBits,
  WATCH_READ,
  watchIsSet,
  type Acl,
  type Mode,
  type MultiOp,
  type Op,
  type WatchKind,
} from "./ops.js";
import { b64, Frame, type NAcl, type NMultiResult, type NNode, type NReadResult, type NResult, type NSnapshot, type NStat, type RawStat } from "./normalize.js";
import { EXPIRY_DEADLINE_MS, sleep, type Anonymous, type Side } from "./side.js";
import { fourLetterWord } from "../support/zookeeper-server.js";
import { errName, EVENT_TYPES, OP, OPEN_ACL, ZkWire, type WireAcl, type WireMultiOp, type WireStat } from "./zk-wire.js";

interface Session {
  label: string;
  wire: ZkWire;
  owner: string;
  state: "live" | "closed" | "expired";
}

/** A watch set by a read (or addWatch): on its connection, from the notifications after that reply. */
interface Watch {
  wire: ZkWire;
  kind: WatchKind;
  path: string;
  from: number;
  set: boolean;
  /** addWatch's: every notification counts, not the first. */
  persistent?: { recursive: boolean };
}

/** What a persistent watch hears (ZooKeeper 3.6): its node's events, or its subtree's node events. */
function persistentHears(w: Watch, n: { type: number; path: string }): boolean {
  if (!w.persistent!.recursive) return n.path === w.path;
  const inside = w.path === "/" || n.path === w.path || n.path.startsWith(`${w.path}/`);
  return inside && EVENT_TYPES[n.type] !== "NodeChildrenChanged";
}

/** The events each kind of watch is told of (ZooKeeper 3.8's WatchManager and the client's materialize). */
const TRIGGERS: Record<WatchKind, string[]> = {
  data: ["NodeDataChanged", "NodeDeleted"],
  exists: ["NodeCreated", "NodeDataChanged", "NodeDeleted"],
  children: ["NodeChildrenChanged", "NodeDeleted"],
};

/** Anonymous actors' sessions ask for the longest timeout; the server clamps it. */
const ANONYMOUS_TIMEOUT_MS = 60_000;

function raw(s: WireStat): RawStat {
  return { ...s, ctime: Number(s.ctime), mtime: Number(s.mtime) };
}

const wireAcl = (acl: Acl[] | undefined): WireAcl[] => (acl === undefined ? OPEN_ACL : acl.map((a) => ({ perms: permsToBits(a.perms), scheme: a.scheme, id: a.id })));
const nAcl = (acl: WireAcl[]): NAcl[] => acl.map((a) => ({ perms: bitsToPerms(a.perms), scheme: a.scheme, id: a.id }));

/** The opcode ZooKeeper's Java client uses for a create in this mode (create2 to get the Stat back). */
function createOpcode(mode: Mode): typeof OP.create2 | typeof OP.createContainer | typeof OP.createTTL {
  if (mode === "container") return OP.createContainer;
  if (isTtl(mode)) return OP.createTTL;
  return OP.create2;
}

export class ZkSide implements Side {
  readonly frame = new Frame();
  private readonly anonymous = new Map<string, ZkWire>();
  private readonly sessions = new Map<string, Session>();
  private readonly problems: string[] = [];
  private readonly watches = new Map<string, Watch>();

  /** `reaperMs`: the server's znode.container.checkIntervalMs, when the scenario lets its reaper run. */
  constructor(
    private readonly port: number,
    private readonly reaperMs?: number,
    readonly name = "zookeeper",
  ) {}

  private get observer(): ZkWire {
    return this.anonymous.get("anon")!;
  }

  async begin(anonymous: Anonymous[]): Promise<void> {
    for (const a of [{ name: "anon" }, ...anonymous]) {
      const wire = await ZkWire.connect(this.port, { timeoutMs: ANONYMOUS_TIMEOUT_MS });
      wire.onClose = () => {
        if (this.anonymous.get(a.name) === wire) this.problems.push(`ZooKeeper: the connection of anonymous actor ${a.name} closed`);
      };
      if (a.auth) {
        const r = await wire.addAuth("digest", a.auth);
        if (r.err !== 0) throw new Error(`addAuthInfo(${a.auth}) failed: ${errName(r.err)}`);
      }
      this.anonymous.set(a.name, wire);
    }
    this.frame.base = (await this.observer.exists("/")).zxid;
  }

  async lastZxid(): Promise<number> {
    return this.frame.zxid((await this.observer.exists("/")).zxid);
  }

  violations(): string[] {
    return [...this.problems.splice(0), ...this.frame.times.take()];
  }

  private stat(s: WireStat, path: string): NStat {
    return this.frame.stat(raw(s), path);
  }

  /** What ZooKeeper's client answers without asking the server. */
  private async refused(code: string, extra: Partial<NResult> = {}): Promise<NResult> {
    return { code, zxid: await this.lastZxid(), ...extra };
  }

  private actor(name: string): { wire: ZkWire; session?: Session } {
    const anon = this.anonymous.get(name);
    if (anon) return { wire: anon };
    const session = this.sessions.get(name);
    if (!session) throw new Error(`ZooKeeper side: no actor or session named ${name}`);
    return { wire: session.wire, session };
  }

  /** The server's own answer for a session that is gone: a reconnect with its id and password. */
  private async deadSession(session: Session): Promise<NResult> {
    const again = await ZkWire.connect(this.port, { timeoutMs: session.wire.timeoutMs, sessionId: session.wire.sessionId, passwd: session.wire.passwd, ping: false }).catch(() => null);
    if (again && again.timeoutMs > 0) {
      again.drop();
      throw new Error(`ZooKeeper revived session ${session.owner}, which the harness thought ${session.state}`);
    }
    again?.drop();
    return this.refused("SESSIONEXPIRED");
  }

  async run(actorName: string, op: Op): Promise<NResult> {
    if (op.op === "open") return this.open(actorName, op.timeoutMs, op.auth);
    if (op.op === "reap") {
      if (this.reaperMs === undefined) throw new Error("reap: this ZooKeeper runs no reaper");
      // The ContainerManager runs every reaperMs: three periods see it run at least twice.
      await sleep(3 * this.reaperMs);
      await this.observer.sync("/");
      return { code: "OK", zxid: await this.lastZxid() };
    }
    const { wire, session } = this.actor(actorName);
    if (session && session.state !== "live") {
      if (op.op === "close" || op.op === "ping" || op.op === "inspect") return this.deadSession(session);
      if (op.op === "expire") throw new Error(`expire: session ${session.owner} is already ${session.state}`);
      // The Java client of a closed or expired session answers every request itself.
      if (op.op === "watch") this.watches.set(op.name, { wire, kind: op.kind, path: op.path, from: 0, set: false });
      if (op.op === "addWatch") this.watches.set(op.name, { wire, kind: "data", path: op.path, from: 0, set: false, persistent: { recursive: op.recursive } });
      return this.refused("SESSIONEXPIRED");
    }
    const owner = session?.owner ?? `anonymous ${actorName}`;
    switch (op.op) {
      case "close": {
        session!.state = "closed";
        const r = await wire.close();
        return { code: errName(r.err), zxid: this.frame.zxid(r.zxid) };
      }
      case "ping": {
        if (!session) throw new Error("ping needs a session actor");
        const r = await wire.ping();
        return { code: errName(r.err), zxid: this.frame.zxid(r.zxid), timeoutMs: wire.timeoutMs };
      }
      case "inspect": {
        if (!session) throw new Error("inspect needs a session actor");
        const r = await wire.getEphemerals("/");
        if (r.err !== 0) return { code: errName(r.err), zxid: this.frame.zxid(r.zxid) };
        return { code: "OK", zxid: this.frame.zxid(r.zxid), timeoutMs: wire.timeoutMs, ephemerals: [...r.ephemerals!].sort() };
      }
      case "expire": {
        if (!session) throw new Error("expire needs a session actor");
        await this.expire(session);
        return { code: "OK", zxid: await this.lastZxid() };
      }
      case "create": {
        const mode = op.mode ?? "persistent";
        if (javaPathProblem(op.path, isSequential(mode)) !== null) return this.refused("BADARGUMENTS");
        if (javaTtlProblem(mode, op.ttlMs) !== null) return this.refused("BADARGUMENTS");
        if (op.acl !== undefined && op.acl.length === 0) return this.refused("INVALIDACL");
        const r = await wire.create(createOpcode(mode), op.path, bytesOf(op.data), wireAcl(op.acl), MODE_FLAGS[mode], isTtl(mode) ? op.ttlMs : -1);
        if (r.err !== 0) return { code: errName(r.err), zxid: this.frame.zxid(r.zxid) };
        return { code: "OK", zxid: this.frame.zxid(r.zxid), path: r.path, stat: this.stat(r.stat!, r.path!) };
      }
      case "getData":
      case "exists":
      case "getChildren":
        return (await this.read(wire, op.op, op.path, false)).result;
      case "watch": {
        const { result, notificationsBefore } = await this.read(wire, WATCH_READ[op.kind], op.path, true);
        this.watches.set(op.name, { wire, kind: op.kind, path: op.path, from: notificationsBefore, set: watchIsSet(op.kind, result.code) });
        return result;
      }
      case "addWatch": {
        if (javaPathProblem(op.path) !== null) return this.refused("BADARGUMENTS");
        const r = await wire.addWatch(op.path, op.recursive);
        this.watches.set(op.name, { wire, kind: "data", path: op.path, from: r.notificationsBefore, set: r.err === 0, persistent: { recursive: op.recursive } });
        return { code: errName(r.err), zxid: this.frame.zxid(r.zxid) };
      }
      case "events": {
        const w = this.watches.get(op.name);
        if (!w) throw new Error(`events: no watch named ${op.name}`);
        // Set by an earlier session of this actor: its connection, and its watches, are gone.
        if (w.wire !== wire) return { code: "OK", zxid: await this.lastZxid(), event: "gone" };
        if (!w.set) return { code: "OK", zxid: await this.lastZxid(), event: "unset" };
        // A round trip on the watcher's own connection: the notifications of every txn applied before it precede its reply.
        await wire.exists("/");
        if (w.persistent) {
          const heard = wire.notifications.slice(w.from).filter((x) => persistentHears(w, x));
          return { code: "OK", zxid: await this.lastZxid(), heard: heard.map((x) => `${EVENT_TYPES[x.type]} ${x.path}`) };
        }
        const n = wire.notifications.slice(w.from).find((x) => x.path === w.path && TRIGGERS[w.kind].includes(EVENT_TYPES[x.type] ?? ""));
        return { code: "OK", zxid: await this.lastZxid(), event: n ? `${EVENT_TYPES[n.type]} ${n.path}` : "none" };
      }
      case "setData": {
        if (javaPathProblem(op.path) !== null) return this.refused("BADARGUMENTS");
        const r = await wire.setData(op.path, bytesOf(op.data), op.version ?? -1);
        if (r.err !== 0) return { code: errName(r.err), zxid: this.frame.zxid(r.zxid) };
        return { code: "OK", zxid: this.frame.zxid(r.zxid), stat: this.stat(r.stat!, op.path) };
      }
      case "delete": {
        if (javaPathProblem(op.path) !== null) return this.refused("BADARGUMENTS");
        const r = await wire.delete(op.path, op.version ?? -1);
        return { code: errName(r.err), zxid: this.frame.zxid(r.zxid) };
      }
      case "getACL": {
        if (javaPathProblem(op.path) !== null) return this.refused("BADARGUMENTS");
        const r = await wire.getACL(op.path);
        if (r.err !== 0) return { code: errName(r.err), zxid: this.frame.zxid(r.zxid) };
        return { code: "OK", zxid: this.frame.zxid(r.zxid), acl: nAcl(r.acl!), stat: this.stat(r.stat!, op.path) };
      }
      case "setACL": {
        if (javaPathProblem(op.path) !== null) return this.refused("BADARGUMENTS");
        if (op.acl.length === 0) return this.refused("INVALIDACL");
        const r = await wire.setACL(op.path, wireAcl(op.acl), op.aversion ?? -1);
        if (r.err !== 0) return { code: errName(r.err), zxid: this.frame.zxid(r.zxid) };
        return { code: "OK", zxid: this.frame.zxid(r.zxid), stat: this.stat(r.stat!, op.path) };
      }
      case "sync": {
        if (javaPathProblem(op.path) !== null) return this.refused("BADARGUMENTS");
        const r = await wire.sync(op.path);
        return { code: errName(r.err), zxid: this.frame.zxid(r.zxid) };
      }
      case "multi":
        return this.multi(wire, owner, op.ops);
      case "multiRead": {
        if (op.ops.some((o) => javaPathProblem(o.path) !== null)) return this.refused("BADARGUMENTS");
        // The Java client answers an empty multi itself.
        if (op.ops.length === 0) return this.refused("OK", { results: [] });
        const r = await wire.multiRead(op.ops.map((o) => ({ type: o.op, path: o.path })));
        if (r.err !== 0) return { code: errName(r.err), zxid: this.frame.zxid(r.zxid) };
        const results: NReadResult[] = [];
        for (const [i, res] of r.results.entries()) {
          const o = op.ops[i]!;
          if (res.type === "error") results.push({ op: o.op, code: errName(res.err) });
          else if (res.type === "getData") results.push({ op: o.op, code: "OK", data: b64(res.data), stat: this.stat(res.stat, o.path) });
          else {
            // multiRead's getChildren carries no Stat; the node's, read right after, is the one it had.
            const s = await this.observer.exists(o.path);
            results.push({ op: o.op, code: "OK", children: [...res.children].sort(), ...(s.stat ? { stat: this.stat(s.stat, o.path) } : {}) });
          }
        }
        return { code: "OK", zxid: this.frame.zxid(r.zxid), results };
      }
    }
  }

  /** getData, exists or getChildren(2), with ZooKeeper's watch flag. */
  private async read(wire: ZkWire, op: "getData" | "exists" | "getChildren", path: string, watch: boolean): Promise<{ result: NResult; notificationsBefore: number }> {
    if (javaPathProblem(path) !== null) return { result: await this.refused("BADARGUMENTS"), notificationsBefore: 0 };
    if (op === "getData") {
      const r = await wire.getData(path, watch);
      const result: NResult = { code: errName(r.err), zxid: this.frame.zxid(r.zxid) };
      if (r.err === 0) Object.assign(result, { data: b64(r.data), stat: this.stat(r.stat!, path) });
      return { result, notificationsBefore: r.notificationsBefore };
    }
    if (op === "getChildren") {
      const r = await wire.getChildren2(path, watch);
      const result: NResult = { code: errName(r.err), zxid: this.frame.zxid(r.zxid) };
      if (r.err === 0) Object.assign(result, { children: [...r.children!].sort(), stat: this.stat(r.stat!, path) });
      return { result, notificationsBefore: r.notificationsBefore };
    }
    const r = await wire.exists(path, watch);
    const result: NResult = { code: errName(r.err), zxid: this.frame.zxid(r.zxid) };
    if (r.err === 0) result.stat = this.stat(r.stat!, path);
    return { result, notificationsBefore: r.notificationsBefore };
  }

  private async open(label: string, timeoutMs: number, auth?: string): Promise<NResult> {
    const existing = this.sessions.get(label);
    if (existing?.state === "live") throw new Error(`open: session ${existing.owner} is still live`);
    const wire = await ZkWire.connect(this.port, { timeoutMs });
    const session: Session = { label, wire, owner: this.frame.sessions.add(label, wire.sessionId), state: "live" };
    wire.onClose = () => {
      if (session.state === "live") {
        session.state = "expired";
        this.problems.push(`ZooKeeper: session ${session.owner} lost its connection unexpectedly`);
      }
    };
    this.sessions.set(label, session);
    if (auth) {
      const r = await wire.addAuth("digest", auth);
      if (r.err !== 0) throw new Error(`addAuthInfo(${auth}) failed: ${errName(r.err)}`);
    }
    // The ConnectResponse carries no zxid; the session's next reply carries its createSession's.
    const r = await wire.exists("/");
    return { code: "OK", zxid: this.frame.zxid(r.zxid), timeoutMs: wire.timeoutMs };
  }

  /** Drops the connection without closeSession and waits until the server has expired the session. */
  private async expire(session: Session): Promise<void> {
    session.state = "expired";
    session.wire.drop();
    const hex = `0x${session.wire.sessionId.toString(16)}`;
    const deadline = Date.now() + EXPIRY_DEADLINE_MS;
    for (;;) {
      // The session tracker lists a session until its closeSession txn has been processed.
      const dump = await fourLetterWord(this.port, "dump");
      if (!new RegExp(`\\b${hex}\\b`).test(dump)) break;
      if (Date.now() > deadline) throw new Error(`ZooKeeper did not expire session ${session.owner} (${hex}) within ${EXPIRY_DEADLINE_MS} ms`);
      await sleep(50);
    }
    // Ordered after the expiry's txn: the observer's next answer sees its effects.
    await this.observer.sync("/");
  }

  private async multi(wire: ZkWire, owner: string, ops: MultiOp[]): Promise<NResult> {
    // The Java client's async multi: every op is validated before anything is sent.
    const bad = ops.map((o) => {
      if (o.op !== "create") return javaPathProblem(o.path) !== null;
      const mode = o.mode ?? "persistent";
      return javaPathProblem(o.path, isSequential(mode)) !== null || javaTtlProblem(mode, isTtl(mode) ? o.ttlMs : undefined) !== null;
    });
    if (bad.some(Boolean)) return this.refused("BADARGUMENTS", { results: bad.map((b) => ({ code: b ? "BADARGUMENTS" : "RUNTIMEINCONSISTENCY" })) });
    const wireOps: WireMultiOp[] = ops.map((o): WireMultiOp => {
      switch (o.op) {
        case "create": {
          const mode = o.mode ?? "persistent";
          const base = { path: o.path, data: bytesOf(o.data), acl: wireAcl(o.acl), flags: MODE_FLAGS[mode] };
          if (mode === "container") return { type: "createContainer", ...base };
          if (isTtl(mode)) return { type: "createTTL", ...base, ttl: o.ttlMs ?? 0 };
          return { type: "create", ...base };
        }
        case "delete":
          return { type: "delete", path: o.path, version: o.version ?? -1 };
        case "check":
          return { type: "check", path: o.path, version: o.version ?? -1 };
        case "setData":
          return { type: "setData", path: o.path, data: bytesOf(o.data), version: o.version ?? -1 };
      }
    });
    const r = await wire.multi(wireOps);
    const zxid = this.frame.zxid(r.zxid);
    if (r.err !== 0) return { code: errName(r.err), zxid };
    const failed = r.results.find((x) => x.type === OP.error && x.err !== 0);
    if (failed) return { code: errName(failed.err), zxid, results: r.results.map((x) => ({ code: errName(x.err) })) };
    const results: NMultiResult[] = r.results.map((x, i) => {
      const o = ops[i]!;
      switch (x.type) {
        case OP.create: {
          // ZooKeeper 3.8 answers a plain create in a multi with its path only. The Stat
          // a create2 would have returned is fixed by the create itself: all three zxids
          // the multi's, versions and children 0, times equal.
          const c = o as Extract<MultiOp, { op: "create" }>;
          const z = this.frame.statZxid(r.zxid);
          return {
            op: "create",
            path: x.path,
            stat: {
              czxid: z,
              mzxid: z,
              pzxid: z,
              ctime: "t",
              mtime: "=ctime",
              version: 0,
              cversion: 0,
              aversion: 0,
              ephemeralOwner: isEphemeral(c.mode ?? "persistent") ? owner : "0",
              dataLength: bytesOf(c.data).length,
              numChildren: 0,
            },
          };
        }
        case OP.create2:
        case OP.createContainer:
        case OP.createTTL:
          return { op: "create", path: x.path, stat: this.stat(x.stat!, x.path!) };
        case OP.setData:
          return { op: "setData", path: o.path, stat: this.stat(x.stat!, o.path) };
        case OP.delete:
          return { op: "delete", path: o.path };
        case OP.check:
          return { op: "check", path: o.path };
        default:
          throw new Error(`multi: unexpected result type ${x.type}`);
      }
    });
    return { code: "OK", zxid, results };
  }

  async snapshot(roots: string[], withAcl: boolean): Promise<NSnapshot> {
    const out: NSnapshot = {};
    let level = roots;
    while (level.length > 0) {
      const next: string[] = [];
      await Promise.all(
        level.map(async (path) => {
          const node = await this.readNode(path, withAcl);
          out[path] = node;
          for (const c of node.children ?? []) next.push(path === "/" ? `/${c}` : `${path}/${c}`);
        }),
      );
      level = next;
    }
    return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }

  private async readNode(path: string, withAcl: boolean): Promise<NNode> {
    const w = this.observer;
    const [d, c, a] = await Promise.all([w.getData(path), w.getChildren2(path), withAcl ? w.getACL(path) : undefined]);
    let node: NNode;
    if (d.err === 0) {
      node = { code: "OK", data: b64(d.data), stat: this.stat(d.stat!, path), children: c.err === 0 ? [...c.children!].sort() : undefined };
    } else if (d.err === -102) {
      // Without READ the data and children stay hidden, but exists needs no permission.
      const e = await w.exists(path);
      node = { code: "NOAUTH", ...(e.stat ? { stat: this.stat(e.stat, path) } : {}) };
    } else {
      node = { code: errName(d.err) };
    }
    if (a) {
      if (a.err === 0) node.acl = nAcl(a.acl!);
      else node.aclCode = errName(a.err);
    }
    return node;
  }

  async end(): Promise<void> {
    for (const s of this.sessions.values()) {
      if (s.state === "live") {
        s.state = "closed";
        await s.wire.close().catch(() => undefined);
      } else if (!s.wire.closed) s.wire.drop();
    }
    for (const [name, w] of this.anonymous) {
      this.anonymous.delete(name);
      await w.close().catch(() => undefined);
    }
  }
}
