// node-zookeeper-client against one ZooKeeper ensemble (a real ZooKeeper or
// the front door): basic operations, ACLs, watches and a transaction.
//
// Usage: npx tsx test/clients/scripts/node-zk-client.ts HOST:PORT
// prints {"checks": {name: {"ok", "facts"|"error"}}} like the other scripts;
// the test imports runNodeZkClient instead of starting a process.
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

type Cb<T> = (error: (Error & { code?: number; name?: string }) | null, ...results: T[]) => void;
interface Stat {
  version: number;
  cversion: number;
  aversion: number;
  numChildren: number;
  dataLength: number;
  ephemeralOwner: Buffer;
  czxid: Buffer;
  mzxid: Buffer;
  pzxid: Buffer;
}
interface Event {
  type: number;
  name: string;
  path: string;
}
interface Transaction {
  create(path: string, data?: Buffer, acls?: unknown, mode?: number): Transaction;
  setData(path: string, data: Buffer, version?: number): Transaction;
  check(path: string, version?: number): Transaction;
  remove(path: string, version?: number): Transaction;
  commit(cb: Cb<Array<{ type: number; path?: string; stat?: Stat; err?: number }>>): void;
}
interface Client {
  connect(): void;
  close(): void;
  once(event: "connected", listener: () => void): void;
  getSessionId(): Buffer;
  addAuthInfo(scheme: string, auth: Buffer): void;
  create(path: string, data: Buffer | undefined, acls: unknown, mode: number, cb: Cb<string>): void;
  remove(path: string, version: number, cb: Cb<void>): void;
  exists(path: string, watcher: ((e: Event) => void) | undefined, cb: Cb<Stat>): void;
  getData(path: string, watcher: ((e: Event) => void) | undefined, cb: Cb<Buffer | Stat>): void;
  setData(path: string, data: Buffer, version: number, cb: Cb<Stat>): void;
  getChildren(path: string, watcher: ((e: Event) => void) | undefined, cb: Cb<string[] | Stat>): void;
  getACL(path: string, cb: Cb<unknown>): void;
  setACL(path: string, acls: unknown, version: number, cb: Cb<Stat>): void;
  transaction(): Transaction;
}
interface Zk {
  createClient(connectString: string, options?: { sessionTimeout?: number; spinDelay?: number; retries?: number }): Client;
  CreateMode: Record<"PERSISTENT" | "EPHEMERAL" | "PERSISTENT_SEQUENTIAL" | "EPHEMERAL_SEQUENTIAL", number>;
  ACL: { new (perms: number, id: unknown): unknown; OPEN_ACL_UNSAFE: unknown };
  Id: new (scheme: string, id: string) => unknown;
  Permission: Record<"READ" | "WRITE" | "CREATE" | "DELETE" | "ADMIN" | "ALL", number>;
}
const zk = createRequire(import.meta.url)("node-zookeeper-client") as Zk;

const WAIT_MS = 30_000;
const OPEN = zk.ACL.OPEN_ACL_UNSAFE;

function call<T>(start: (cb: Cb<T>) => void): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no answer")), WAIT_MS).unref();
    start((error, ...results) => {
      clearTimeout(timer);
      if (error) reject(error);
      else resolve(results);
    });
  });
}

/** The error's name (node-zookeeper-client's Exception names, e.g. NODE_EXISTS), or "ok". */
async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "ok";
  } catch (e) {
    return (e as { name?: string }).name ?? String(e);
  }
}

function require_(cond: boolean, what: string): void {
  if (!cond) throw new Error(what);
}

async function connect(connectString: string): Promise<Client> {
  const c = zk.createClient(connectString, { sessionTimeout: 10_000, spinDelay: 100, retries: 5 });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("not connected")), WAIT_MS);
    c.once("connected", () => {
      clearTimeout(timer);
      resolve();
    });
    c.connect();
  });
  return c;
}

/** Resolves with the first event a one-shot watcher receives. */
function watcher(): { fn: (e: Event) => void; events: Event[]; next: Promise<Event> } {
  const events: Event[] = [];
  let resolve!: (e: Event) => void;
  const next = new Promise<Event>((r) => (resolve = r));
  return {
    events,
    next,
    fn: (e) => {
      events.push(e);
      resolve(e);
    },
  };
}

const ROOT = "/nodezk";
const b = (s: string) => Buffer.from(s);
const within = <T>(p: Promise<T>, what: string) =>
  Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), WAIT_MS).unref())]);

async function basics(a: Client) {
  const [created] = await call<string>((cb) => a.create(ROOT, b("root"), OPEN, zk.CreateMode.PERSISTENT, cb));
  const dup = await outcome(call((cb) => a.create(ROOT, b("x"), OPEN, zk.CreateMode.PERSISTENT, cb)));
  const [seq1] = await call<string>((cb) => a.create(`${ROOT}/s-`, b(""), OPEN, zk.CreateMode.PERSISTENT_SEQUENTIAL, cb));
  const [eph] = await call<string>((cb) => a.create(`${ROOT}/e-`, b("e"), OPEN, zk.CreateMode.EPHEMERAL_SEQUENTIAL, cb));
  const [data, stat] = (await call<Buffer | Stat>((cb) => a.getData(eph!, undefined, cb))) as [Buffer, Stat];
  require_(stat.ephemeralOwner.equals(a.getSessionId()), "ephemeral owner is the session");
  const [set] = await call<Stat>((cb) => a.setData(ROOT, b("root2"), 0, cb));
  const stale = await outcome(call((cb) => a.setData(ROOT, b("root3"), 0, cb)));
  const missing = await outcome(call((cb) => a.getData(`${ROOT}/none`, undefined, cb)));
  const notEmpty = await outcome(call((cb) => a.remove(ROOT, -1, cb)));
  const [children, pstat] = (await call<string[] | Stat>((cb) => a.getChildren(ROOT, undefined, cb))) as [string[], Stat];
  const [none] = await call<Stat>((cb) => a.exists(`${ROOT}/none`, undefined, cb));
  require_(dup === "NODE_EXISTS" && stale === "BAD_VERSION" && missing === "NO_NODE" && notEmpty === "NOT_EMPTY", "error codes");
  require_(none === undefined || none === null, "exists of an absent node");
  return {
    created,
    dup,
    seq1,
    eph,
    data: data.toString(),
    setVersion: set!.version,
    stale,
    missing,
    notEmpty,
    children: [...children].sort(),
    parent: { cversion: pstat.cversion, numChildren: pstat.numChildren, version: pstat.version, dataLength: pstat.dataLength },
    czxidBeforeMzxid: Buffer.compare(pstat.czxid, pstat.mzxid) < 0,
  };
}

async function acls(a: Client) {
  const path = `${ROOT}/acl`;
  // Read and admin: the ACL can still be changed, the data cannot.
  const readOnly = [new zk.ACL(zk.Permission.READ | zk.Permission.ADMIN, new zk.Id("world", "anyone"))];
  await call((cb) => a.create(path, b("v"), readOnly, zk.CreateMode.PERSISTENT, cb));
  const denied = await outcome(call((cb) => a.setData(path, b("w"), -1, cb)));
  const [acl] = (await call<unknown>((cb) => a.getACL(path, cb))) as [Array<{ permission: number; id: { scheme: string; id: string } }>];
  const [stat] = await call<Stat>((cb) => a.setACL(path, OPEN, 0, cb));
  require_(denied === "NO_AUTH", "write to a read-only node");
  return { denied, acl: acl!.map((x) => `${x.id.scheme}:${x.id.id}:${x.permission}`), aversion: stat!.aversion };
}

async function watches(a: Client, other: Client) {
  const path = `${ROOT}/w`;
  await call((cb) => a.create(path, b("0"), OPEN, zk.CreateMode.PERSISTENT, cb));
  const data = watcher();
  const children = watcher();
  const exists = watcher();
  await call((cb) => a.getData(path, data.fn, cb));
  await call((cb) => a.getChildren(path, children.fn, cb));
  await call((cb) => a.exists(`${path}/later`, exists.fn, cb));
  await call((cb) => other.setData(path, b("1"), -1, cb));
  const d = await within(data.next, "data watch");
  await call((cb) => other.create(`${path}/later`, b(""), OPEN, zk.CreateMode.PERSISTENT, cb));
  const [c, e] = await within(Promise.all([children.next, exists.next]), "child and exists watches");
  // One-shot: a second change after the event reaches no one (the sync orders the check after any stray delivery).
  await call((cb) => other.setData(path, b("2"), -1, cb));
  await call<Buffer | Stat>((cb) => a.getData(path, undefined, cb));
  require_(data.events.length === 1, "a one-shot data watch fired twice");
  return { data: [d.name, d.path], children: [c.name, c.path], exists: [e.name, e.path] };
}

async function transaction(a: Client) {
  const path = `${ROOT}/t`;
  const [ok] = await call((cb) =>
    a
      .transaction()
      .create(path, b("t"))
      .create(`${path}/c`, b("c"))
      .check(path)
      .setData(path, b("t1"))
      .remove(`${path}/c`)
      .commit(cb),
  );
  // (version 0 would read as "any version" to this client: 0 || -1.)
  const failed = await outcome(call((cb) => a.transaction().create(`${path}/x`, b("")).check(path, 7).commit(cb)));
  const [after] = await call<Stat>((cb) => a.exists(`${path}/x`, undefined, cb));
  require_(failed === "BAD_VERSION" && !after, `a failed transaction leaves nothing: ${failed} ${JSON.stringify(after)}`);
  const [, stat] = (await call<Buffer | Stat>((cb) => a.getData(path, undefined, cb))) as [Buffer, Stat];
  return {
    results: (ok as Array<{ type: number; path?: string }>).map((r) => [r.type, r.path ?? null]),
    failed,
    after: { version: stat.version, cversion: stat.cversion, numChildren: stat.numChildren },
  };
}

export async function runNodeZkClient(connectString: string) {
  const a = await connect(connectString);
  const other = await connect(connectString);
  const checks: Record<string, { ok: boolean; facts?: unknown; error?: string }> = {};
  const steps: Array<[string, () => Promise<unknown>]> = [
    ["basics", () => basics(a)],
    ["acls", () => acls(a)],
    ["watches", () => watches(a, other)],
    ["transaction", () => transaction(a)],
  ];
  for (const [name, step] of steps) {
    try {
      checks[name] = { ok: true, facts: await step() };
    } catch (e) {
      checks[name] = { ok: false, error: String((e as Error)?.stack ?? e) };
    }
  }
  a.close();
  other.close();
  return { checks };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(await runNodeZkClient(process.argv[2] ?? "127.0.0.1:2181")));
}
