// ZkClient: every ZooKeeper operation of the HTTP API (docs/api.md), a
// session kept alive in the background, watches, and retries that never send
// a write twice without first proving the first one was not applied.
import { fromBase64, toBase64, toBytes, toText, type Data } from "./bytes.js";
import {
  BadArgumentsError,
  BadVersionError,
  ClientClosedError,
  ConnectionLossError,
  NodeExistsError,
  NoNodeError,
  OperationTimeoutError,
  SessionExpiredError,
  zkError,
  ZkError,
} from "./errors.js";
import { encodePath, Http, Unanswered, type FetchLike } from "./http.js";
import { opToWire, resultFromWire, Transaction, type CreateOptions, type OpResult, type ReadOp, type WriteOp } from "./multi.js";
import { backoffMs, DEFAULT_RETRY, sleep, type RetryPolicy } from "./retry.js";
import { SessionKeeper, type ConnectionState, type SessionInfo, type StateEvent, type StateListener } from "./session.js";
import {
  statFromWire,
  type Acl,
  type Created,
  type NodeAcl,
  type NodeChildren,
  type NodeData,
  type Stat,
  type WatchEvent,
  type WatchKind,
  type WireStat,
} from "./types.js";
import { oneShot, PersistentWatch, type OneShotOptions, type PersistentOptions, type WatchContext } from "./watch.js";

export interface ClientOptions {
  /** The service, e.g. http://127.0.0.1:8787. */
  url: string;
  /** Basic credentials: the caller's digest identity for ACLs. */
  user?: string;
  password?: string;
  /** The session timeout to ask for; the service negotiates it. Default 30,000 ms. */
  sessionTimeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** Longest wait for one request's answer. Default 30,000 ms. */
  requestTimeoutMs?: number;
  /** A fetch to use instead of the global one (a Worker's service binding, a test's). */
  fetch?: FetchLike;
}

export interface CreateCallOptions extends CreateOptions {
  /** Create missing parents first, as persistent nodes (Curator's creatingParentsIfNeeded). */
  parents?: boolean;
  /**
   * Curator's protection: the name gets a `_c_<uuid>-` prefix so that a create
   * whose answer was lost can be found again and is never made twice. Useful
   * with the sequential modes.
   */
  protected?: boolean;
}

export interface ReadOptions {
  /** Also set a one-shot watch: the result's `watch` resolves when it fires. */
  watch?: boolean;
  signal?: AbortSignal;
}

export interface DeleteOptions {
  version?: number;
  /** Delete the children first, depth first (kazoo's recursive delete). */
  recursive?: boolean;
}

export type MultiReadResult =
  | { op: "getData"; path: string; data: Uint8Array; stat: Stat }
  | { op: "getChildren"; path: string; children: string[]; stat: Stat }
  | { op: "getData" | "getChildren"; path: string; error: ZkError };

/** What a write's check found after the answer was lost. */
type Outcome<T> = { state: "applied"; value: T } | { state: "notApplied"; resend: () => Promise<T> } | { state: "unknown" };

const PROTECTED_PREFIX = "_c_";

export class ZkClient {
  readonly url: string;
  private readonly http: Http;
  private readonly retry: RetryPolicy;
  private readonly session: SessionKeeper;
  private readonly sessionTimeoutMs: number;
  private readonly closing = new AbortController();
  private opening?: Promise<SessionInfo>;
  private readonly watchCtx: WatchContext;

  constructor(options: ClientOptions) {
    this.http = new Http(options);
    this.url = this.http.base;
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.session = new SessionKeeper(this.http, this.retry);
    this.sessionTimeoutMs = options.sessionTimeoutMs ?? 30_000;
    this.watchCtx = {
      http: this.http,
      retry: this.retry,
      sessionHeader: () => this.session.header(),
      closing: this.closing.signal,
      unreachable: () => this.session.unreachable(),
      expired: () => this.session.expired(),
    };
  }

  // ── session ───────────────────────────────────────────────────────────────

  /**
   * Opens a session (again, after an expiry) and starts pinging it. With
   * `sessionId`, takes over a session another client opened (it is pinged to
   * check it is live) instead of opening one.
   */
  async start(options: { sessionId?: bigint } = {}): Promise<SessionInfo> {
    this.assertOpen();
    const opening = this.open(options);
    this.opening = opening;
    try {
      const info = await opening;
      // close() came meanwhile and closes this session too.
      if (this.closing.signal.aborted) throw new ClientClosedError("CLOSED", "the client was closed while its session was opening");
      return info;
    } finally {
      if (this.opening === opening) this.opening = undefined;
    }
  }

  private open(options: { sessionId?: bigint }): Promise<SessionInfo> {
    if (options.sessionId !== undefined) {
      const id = options.sessionId;
      return this.session.open(this.sessionTimeoutMs, () =>
        this.readOp(async () => {
          const { body } = await this.http.json<{ id: string; timeoutMs: number }>({ method: "POST", path: `/v1/sessions/${id}/ping` });
          return { id: BigInt(body.id), timeoutMs: body.timeoutMs };
        }),
      );
    }
    // Opening is retried: a session opened twice leaves an orphan that owns nothing and expires.
    return this.session.open(this.sessionTimeoutMs, (timeoutMs) =>
      this.readOp(async () => {
        const { body } = await this.http.json<{ id: string; timeoutMs: number }>({ method: "POST", path: "/v1/sessions", json: { timeoutMs } });
        return { id: BigInt(body.id), timeoutMs: body.timeoutMs };
      }),
    );
  }

  /**
   * Closes the session (its ephemerals go at once), ends every watch, and
   * stops. With `keepSession`, leaves the session open (it expires unless
   * another client pings it).
   */
  async close(options: { keepSession?: boolean } = {}): Promise<void> {
    if (this.closing.signal.aborted) return;
    this.closing.abort(new ClientClosedError("CLOSED", "the client was closed"));
    // A start() in flight: wait for its answer, so a session it opens is closed here, not left to expire.
    await this.opening?.catch(() => undefined);
    this.session.stop();
    await this.session.settled();
    const info = this.session.info;
    const live = this.session.state === "connected" || this.session.state === "suspended";
    this.session.closed();
    if (!info || !live || options.keepSession) return;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.http.send({ method: "DELETE", path: `/v1/sessions/${info.id}` });
        return;
      } catch (e) {
        // Closing twice is harmless: a 410 means the first close (or an expiry) got there.
        if (e instanceof SessionExpiredError) return;
        if (!retriable(e) || attempt >= this.retry.retries) throw e;
        await sleep(backoffMs(this.retry, attempt));
      }
    }
  }

  get state(): ConnectionState {
    return this.session.state;
  }

  /** The session's id and negotiated timeout, once started. */
  get sessionId(): bigint | undefined {
    return this.session.info?.id;
  }

  get sessionInfo(): SessionInfo | undefined {
    return this.session.info;
  }

  /** The highest zxid any answer has carried. */
  get lastZxid(): bigint {
    return this.http.lastZxid;
  }

  /** Listens for connection states ("state" hears every one); returns the unsubscribe. */
  on(event: StateEvent | "state", listener: StateListener): () => void {
    return this.session.on(event, listener);
  }

  /** Resolves when the client next reaches `state` (at once if it is there). */
  when(state: StateEvent): Promise<void> {
    return this.session.when(state);
  }

  /** The session's ephemeral nodes (getEphemerals). */
  async getEphemerals(): Promise<string[]> {
    const id = this.requireSession();
    return this.readOp(async () => (await this.http.json<{ ephemerals: string[] }>({ method: "GET", path: `/v1/sessions/${id}` })).body.ephemerals);
  }

  // ── znodes ────────────────────────────────────────────────────────────────

  async create(path: string, options: CreateCallOptions = {}): Promise<Created> {
    checkPath(path, true);
    const mode = options.mode ?? "persistent";
    let target = path;
    let marker: string | undefined;
    if (options.protected) {
      marker = `${PROTECTED_PREFIX}${crypto.randomUUID()}-`;
      const slash = path.lastIndexOf("/");
      target = `${path.slice(0, slash + 1)}${marker}${path.slice(slash + 1)}`;
    }
    const body = { data: toBase64(toBytes(options.data)), mode, acl: options.acl, ttlMs: options.ttlMs };
    const send = async (): Promise<Created> => {
      const { body: b } = await this.http.json<{ path: string; stat: WireStat }>({
        method: "POST",
        path: encodePath("/v1/znodes", target),
        json: body,
        headers: this.session.header(),
      });
      return { path: b.path, stat: statFromWire(b.stat) };
    };
    const sequential = mode.includes("sequential");
    const before = this.http.lastZxid;
    const check = async (): Promise<Outcome<Created>> => {
      if (marker) {
        const parent = parentOf(target);
        const found = (await this.getChildren(parent).catch(noNode(null)))?.children.find((c) => c.includes(marker!));
        if (!found) return { state: "notApplied", resend: send };
        const full = join(parent, found);
        const stat = await this.exists(full);
        return stat ? { state: "applied", value: { path: full, stat } } : { state: "unknown" };
      }
      if (sequential) return { state: "unknown" };
      const stat = await this.exists(target);
      if (!stat) return { state: "notApplied", resend: send };
      const sessionId = this.session.info?.id;
      if (mode.startsWith("ephemeral") && sessionId !== undefined && stat.ephemeralOwner === sessionId) {
        return { state: "applied", value: { path: target, stat } };
      }
      // There before the create was sent: it would have failed as NODEEXISTS.
      if (stat.czxid <= before) throw new NodeExistsError("NODEEXISTS", `${target} already exists`, { path: target, status: 409 });
      return { state: "unknown" };
    };
    try {
      return await this.writeOp(send, check);
    } catch (e) {
      if (options.parents && e instanceof NoNodeError && e.status === 409) {
        await this.ensurePath(parentOf(target));
        return this.writeOp(send, check);
      }
      throw e;
    }
  }

  /** Creates the path and any missing parents as empty persistent nodes; an existing node is fine (kazoo's ensure_path). */
  async ensurePath(path: string, acl?: Acl[]): Promise<void> {
    checkPath(path);
    if (path === "/") return;
    if (await this.exists(path)) return;
    let current = "";
    for (const segment of path.split("/").slice(1)) {
      current += `/${segment}`;
      try {
        await this.create(current, { acl });
      } catch (e) {
        if (!(e instanceof NodeExistsError)) throw e;
      }
    }
  }

  /** getData. With `watch`, the result's `watch` resolves with the first change after this read. */
  async getData(path: string, options: ReadOptions & { watch: true }): Promise<NodeData & { watch: Promise<WatchEvent> }>;
  async getData(path: string, options?: ReadOptions): Promise<NodeData>;
  async getData(path: string, options: ReadOptions = {}): Promise<NodeData & { watch?: Promise<WatchEvent> }> {
    checkPath(path);
    const result = await this.readOp(async () => {
      const { body, zxid } = await this.http.json<{ path: string; data: string; stat: WireStat }>({
        method: "GET",
        path: encodePath("/v1/znodes", path),
        headers: this.session.header(),
        signal: options.signal,
      });
      return { path: body.path, data: fromBase64(body.data), stat: statFromWire(body.stat), zxid };
    });
    return options.watch ? { ...result, watch: this.watch(path, "data", { zxid: result.zxid, signal: options.signal }) } : result;
  }

  /** getData as UTF-8 text. */
  async getText(path: string): Promise<string> {
    return toText((await this.getData(path)).data);
  }

  async getChildren(path: string, options: ReadOptions & { watch: true }): Promise<NodeChildren & { watch: Promise<WatchEvent> }>;
  async getChildren(path: string, options?: ReadOptions): Promise<NodeChildren>;
  async getChildren(path: string, options: ReadOptions = {}): Promise<NodeChildren & { watch?: Promise<WatchEvent> }> {
    checkPath(path);
    const result = await this.readOp(async () => {
      const { body, zxid } = await this.http.json<{ path: string; children: string[]; stat: WireStat }>({
        method: "GET",
        path: encodePath("/v1/znodes", path),
        query: { view: "children" },
        headers: this.session.header(),
        signal: options.signal,
      });
      return { path: body.path, children: body.children, stat: statFromWire(body.stat), zxid };
    });
    return options.watch ? { ...result, watch: this.watch(path, "children", { zxid: result.zxid, signal: options.signal }) } : result;
  }

  /** exists: the Stat, or null when there is no such node. */
  async exists(path: string, options: { signal?: AbortSignal } = {}): Promise<Stat | null> {
    return (await this.existsAt(path, options)).stat;
  }

  /** exists with a one-shot watch: fires NodeCreated if the node is missing, else NodeDataChanged or NodeDeleted. */
  async watchExists(path: string, options: { signal?: AbortSignal } = {}): Promise<{ stat: Stat | null; zxid: bigint; watch: Promise<WatchEvent> }> {
    const { stat, zxid } = await this.existsAt(path, options);
    return { stat, zxid, watch: this.watch(path, "exists", { zxid, signal: options.signal }) };
  }

  private async existsAt(path: string, options: { signal?: AbortSignal }): Promise<{ stat: Stat | null; zxid: bigint }> {
    checkPath(path);
    return this.readOp(async () => {
      try {
        const { body, zxid } = await this.http.json<{ stat: WireStat }>({
          method: "GET",
          path: encodePath("/v1/znodes", path),
          query: { view: "stat" },
          headers: this.session.header(),
          signal: options.signal,
        });
        return { stat: statFromWire(body.stat), zxid };
      } catch (e) {
        // The zxid the absence was seen at: a later one (another request's) could skip the create a watch must hear of.
        if (e instanceof NoNodeError) return { stat: null, zxid: e.zxid ?? this.http.lastZxid };
        throw e;
      }
    });
  }

  /** setData; `version` -1 (the default) means any. */
  async setData(path: string, data: Data, version = -1): Promise<Stat> {
    checkPath(path);
    const bytes = toBytes(data);
    const sendWith = (v: number) => async (): Promise<Stat> => {
      const { body } = await this.http.json<{ stat: WireStat }>({
        method: "PUT",
        path: encodePath("/v1/znodes", path),
        query: { version: v },
        json: { data: toBase64(bytes) },
        headers: this.session.header(),
      });
      return statFromWire(body.stat);
    };
    const before = this.http.lastZxid;
    return this.writeOp<Stat>(sendWith(version), async () => {
      const stat = await this.exists(path);
      // No setData since it was sent: resend, conditional on what is there, so it can apply once at most.
      if (stat && stat.mzxid <= before && (version === -1 || stat.version === version)) return { state: "notApplied", resend: sendWith(stat.version) };
      if (stat && stat.mzxid <= before) throw new BadVersionError("BADVERSION", `${path} is at version ${stat.version}, not ${version}`, { path, status: 412 });
      // Changed since: by this write or by another writer of the same version (even with the same bytes,
      // which a counter would take for its own), so the outcome stays unknown.
      return { state: "unknown" };
    });
  }

  /** delete; `version` -1 (the default) means any. `recursive` deletes the children first. */
  async delete(path: string, options: DeleteOptions | number = {}): Promise<void> {
    checkPath(path);
    const { version = -1, recursive = false } = typeof options === "number" ? { version: options } : options;
    if (recursive) {
      const children = await this.getChildren(path).catch(noNode(null));
      if (!children) throw new NoNodeError("NONODE", `${path} does not exist`, { path, status: 404 });
      for (const child of children.children) {
        await this.delete(join(path, child), { recursive: true }).catch(noNode(undefined));
      }
    }
    const sendWith = (v: number) => async (): Promise<void> => {
      await this.http.send({ method: "DELETE", path: encodePath("/v1/znodes", path), query: { version: v }, headers: this.session.header() });
    };
    const before = this.http.lastZxid;
    return this.writeOp(sendWith(version), async () => {
      const stat = await this.exists(path);
      // The node that was there when it was sent is still there: the delete was not applied.
      if (stat && stat.czxid <= before && (version === -1 || stat.version === version)) return { state: "notApplied", resend: sendWith(stat.version) };
      return { state: "unknown" };
    });
  }

  // ── ACLs ──────────────────────────────────────────────────────────────────

  async getAcl(path: string): Promise<NodeAcl> {
    checkPath(path);
    return this.readOp(async () => {
      const { body } = await this.http.json<{ path: string; acl: Acl[]; stat: WireStat }>({
        method: "GET",
        path: encodePath("/v1/acl", path),
        headers: this.session.header(),
      });
      return { path: body.path, acl: body.acl, stat: statFromWire(body.stat) };
    });
  }

  /** setACL; `aversion` -1 (the default) means any. */
  async setAcl(path: string, acl: Acl[], aversion = -1): Promise<Stat> {
    checkPath(path);
    const sendWith = (v: number) => async (): Promise<Stat> => {
      const { body } = await this.http.json<{ stat: WireStat }>({
        method: "PUT",
        path: encodePath("/v1/acl", path),
        query: { aversion: v },
        json: { acl },
        headers: this.session.header(),
      });
      return statFromWire(body.stat);
    };
    return this.writeOp(sendWith(aversion), async () => {
      if (aversion < 0) return { state: "unknown" };
      const stat = await this.exists(path);
      return stat && stat.aversion === aversion ? { state: "notApplied", resend: sendWith(aversion) } : { state: "unknown" };
    });
  }

  /** sync: answers once the service has caught up (every read here is already linearizable). */
  async sync(path: string): Promise<void> {
    checkPath(path);
    await this.readOp(() => this.http.send({ method: "POST", path: encodePath("/v1/sync", path), headers: this.session.header() }));
  }

  // ── multi ─────────────────────────────────────────────────────────────────

  /** A transaction builder: `client.transaction().create(...).setData(...).commit()`. */
  transaction(): Transaction {
    return new Transaction((ops) => this.multi(ops));
  }

  /** multi: all or nothing, under one zxid. A lost answer is a ConnectionLossError with `outcomeUnknown`. */
  async multi(ops: WriteOp[]): Promise<OpResult[]> {
    for (const op of ops) checkPath(op.path, op.op === "create");
    return this.writeOp(async () => {
      const { body } = await this.http.json<{ results: { op: string; path: string; stat?: WireStat }[] }>({
        method: "POST",
        path: "/v1/multi",
        json: { ops: ops.map(opToWire) },
        headers: this.session.header(),
      });
      return body.results.map(resultFromWire);
    });
  }

  /** multiRead: each op answered on its own, all from one consistent read. */
  async multiRead(ops: ReadOp[]): Promise<MultiReadResult[]> {
    for (const op of ops) checkPath(op.path);
    return this.readOp(async () => {
      const { body } = await this.http.json<{ results: any[] }>({
        method: "POST",
        path: "/v1/multi/read",
        json: { ops },
        headers: this.session.header(),
      });
      return body.results.map((r): MultiReadResult => {
        if (r.error) return { op: r.op, path: r.path, error: zkError(r.error.code, r.error.message, { status: r.error.status, path: r.error.path }) };
        if (r.op === "getData") return { op: "getData", path: r.path, data: fromBase64(r.data), stat: statFromWire(r.stat) };
        return { op: "getChildren", path: r.path, children: r.children, stat: statFromWire(r.stat) };
      });
    });
  }

  // ── watches ───────────────────────────────────────────────────────────────

  /**
   * A one-shot watch of the kind a read sets, from the zxid of that read (from
   * now without one). Resolves with the event; rejects with SessionExpiredError,
   * WatchExpiredError (the history it needs is compacted: read again),
   * ClientClosedError, or the signal's reason.
   */
  watch(path: string, kind: WatchKind, options: OneShotOptions = {}): Promise<WatchEvent> {
    checkPath(path);
    const p = oneShot(this.watchCtx, path, kind, options);
    // Marked handled: a watch nobody awaits must not crash the process when the client closes.
    p.catch(() => undefined);
    return p;
  }

  /** A persistent watch (addWatch) as an async iterator of events. */
  addWatch(path: string, options: PersistentOptions = {}): PersistentWatch {
    checkPath(path);
    return new PersistentWatch(this.watchCtx, path, options);
  }

  // ── retries ───────────────────────────────────────────────────────────────

  /** A read: retried on 503, 504 and no answer, with backoff. */
  private async readOp<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      this.assertOpen();
      try {
        const value = await fn();
        return value;
      } catch (e) {
        this.observe(e);
        if (!retriable(e)) throw e;
        if (attempt >= this.retry.retries) throw new ConnectionLossError((e as Error).message, { cause: e, status: (e as ZkError).status });
        await sleep(backoffMs(this.retry, attempt), this.closing.signal);
      }
    }
  }

  /**
   * A write: resent only when it certainly was not applied (a 504, a refused
   * connection, or `check` proves it). Otherwise a lost answer is a
   * ConnectionLossError with `outcomeUnknown`.
   */
  private async writeOp<T>(send: () => Promise<T>, check?: () => Promise<Outcome<T>>): Promise<T> {
    let next = send;
    let checked = false;
    for (let attempt = 0; ; attempt++) {
      this.assertOpen();
      try {
        const value = await next();
        return value;
      } catch (e) {
        this.observe(e);
        if (checked && (e instanceof NodeExistsError || e instanceof BadVersionError || e instanceof NoNodeError)) {
          // The resend conflicts with something: possibly the first attempt, applied late.
          throw unknownOutcome(e);
        }
        const surelyNotApplied = e instanceof OperationTimeoutError || (e instanceof Unanswered && e.unsent);
        if (!surelyNotApplied) {
          if (!(e instanceof ConnectionLossError)) throw e;
          if (!check) throw unknownOutcome(e);
          await sleep(backoffMs(this.retry, attempt), this.closing.signal);
          let outcome: Outcome<T>;
          try {
            outcome = await check();
          } catch (c) {
            if (c instanceof ZkError && c.code !== "CONNECTIONLOSS") throw c;
            throw unknownOutcome(e);
          }
          if (outcome.state === "applied") return outcome.value;
          if (outcome.state === "unknown") throw unknownOutcome(e);
          next = outcome.resend;
          checked = true;
          if (attempt >= this.retry.retries) throw new ConnectionLossError(`${(e as Error).message} (not applied; retries exhausted)`, { cause: e });
          continue;
        }
        if (attempt >= this.retry.retries) {
          if (e instanceof OperationTimeoutError) throw e;
          throw new ConnectionLossError(`${(e as Error).message} (not applied; retries exhausted)`, { cause: e });
        }
        await sleep(backoffMs(this.retry, attempt), this.closing.signal);
      }
    }
  }

  /** What an error says about the connection and the session. */
  private observe(e: unknown): void {
    if (e instanceof SessionExpiredError) this.session.expired();
    else if (retriable(e)) this.session.unreachable();
  }

  private assertOpen(): void {
    if (this.closing.signal.aborted) throw new ClientClosedError("CLOSED", "the client is closed");
  }

  private requireSession(): bigint {
    const id = this.session.info?.id;
    if (id === undefined) throw new BadArgumentsError("BADARGUMENTS", "no session: call start() first");
    return id;
  }
}

function retriable(e: unknown): boolean {
  return e instanceof ConnectionLossError || e instanceof OperationTimeoutError;
}

function unknownOutcome(e: unknown): ConnectionLossError {
  return new ConnectionLossError(
    `the write may or may not have been applied: ${(e as Error).message}. Read to find out before sending it again`,
    { cause: e, outcomeUnknown: true },
  );
}

/** `catch` helper: NONODE becomes `value`. */
function noNode<T>(value: T): (e: unknown) => T {
  return (e) => {
    if (e instanceof NoNodeError) return value;
    throw e;
  };
}

/** The client-side path checks ZooKeeper's client makes before sending (URL parsing would resolve dot segments). */
function checkPath(path: string, sequentialPrefix = false): void {
  const bad = (why: string) => new BadArgumentsError("BADARGUMENTS", `invalid path ${JSON.stringify(path)}: ${why}`, { path });
  if (typeof path !== "string" || !path.startsWith("/")) throw bad("it must start with /");
  if (path === "/") return;
  const segments = path.split("/").slice(1);
  segments.forEach((s, i) => {
    const last = i === segments.length - 1;
    if (s === "" && !(last && sequentialPrefix)) throw bad("empty segment");
    if (s === "." || s === "..") throw bad(`relative segment "${s}"`);
  });
}

export function parentOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? "/" : path.slice(0, i);
}

export function join(parent: string, child: string): string {
  return parent === "/" ? `/${child}` : `${parent}/${child}`;
}

/** A client with its session open: `const zk = await connect({ url })`. */
export async function connect(options: ClientOptions): Promise<ZkClient> {
  const client = new ZkClient(options);
  await client.start();
  return client;
}
