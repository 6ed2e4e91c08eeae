// zk: a command-line tool for the service, in the manner of zkCli and etcdctl.
// Each command is one client call (or a few) over the HTTP API; output is
// zkCli's layout for people and JSON with --json; a ZooKeeper error is a
// message on stderr and exit code 1, a mistake in the command line exit code 2.
import { spawn } from "node:child_process";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { fromText, isZkError, NoNodeError, ZkClient, type CreateMode, type WatchEvent } from "../client/index.js";
import { aclText, dataJson, errorText, parseAcl, statText, toJson, UsageError } from "./format.js";
import { Lock, LostError } from "../recipes/index.js";

type Options = NonNullable<ParseArgsConfig["options"]>;
type Values = Record<string, string | boolean | undefined>;

interface Ctx {
  values: Values;
  args: string[];
  json: boolean;
  client(options?: { sessionTimeoutMs?: number }): ZkClient;
  /** The client with a session: --session / ZK_SESSION's, or a new one. */
  withSession(): Promise<ZkClient>;
  out(text: string): void;
}

interface Command {
  usage: string;
  summary: string;
  help: string;
  options?: Options;
  /** Exact number of positionals, or [min, max]. */
  args: [number, number];
  run(ctx: Ctx): Promise<number | void>;
}

const DEFAULT_URL = "http://127.0.0.1:8787";

const GLOBAL: Options = {
  url: { type: "string" },
  user: { type: "string" },
  password: { type: "string" },
  session: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
};

const GLOBAL_HELP = `Options for every command:
  --url URL         the service (ZK_URL; default ${DEFAULT_URL}, what npm start serves)
  --user USER       Basic credentials (ZK_USER; the password from ZK_PASSWORD or --password)
  --session ID      act in this open session (ZK_SESSION), e.g. one that zk session keeps alive
  --json            machine-readable output
  -h, --help        this help`;

const COMMANDS: Record<string, Command> = {
  ls: {
    usage: "zk ls PATH",
    summary: "list a node's children",
    help: "Prints the child names, one per line (sorted).",
    args: [1, 1],
    async run(ctx) {
      const { children, stat } = await ctx.client().getChildren(ctx.args[0]!);
      ctx.out(ctx.json ? toJson({ path: ctx.args[0], children, stat }) : children.join("\n"));
    },
  },
  tree: {
    usage: "zk tree [PATH]",
    summary: "print the tree below a node",
    help: "Walks the children depth first (default /).",
    args: [0, 1],
    async run(ctx) {
      const zk = ctx.client();
      const root = ctx.args[0] ?? "/";
      interface Node {
        path: string;
        children: Node[];
      }
      const walk = async (path: string): Promise<Node> => {
        const { children } = await zk.getChildren(path).catch((e) => {
          if (isZkError(e, "NONODE") && path !== root) return { children: [] as string[] };
          throw e;
        });
        const nodes: Node[] = [];
        for (const c of children) nodes.push(await walk(path === "/" ? `/${c}` : `${path}/${c}`));
        return { path, children: nodes };
      };
      const tree = await walk(root);
      if (ctx.json) return ctx.out(toJson(tree));
      const lines = [root];
      const draw = (n: Node, indent: string) => {
        n.children.forEach((c, i) => {
          const last = i === n.children.length - 1;
          lines.push(`${indent}${last ? "└── " : "├── "}${c.path.slice(c.path.lastIndexOf("/") + 1)}`);
          draw(c, indent + (last ? "    " : "│   "));
        });
      };
      draw(tree, "");
      ctx.out(lines.join("\n"));
    },
  },
  get: {
    usage: "zk get [-s] PATH",
    summary: "print a node's data",
    help: "Prints the data as it is (then a newline). -s also prints the Stat.",
    options: { stat: { type: "boolean", short: "s" } },
    args: [1, 1],
    async run(ctx) {
      const { path, data, stat } = await ctx.client().getData(ctx.args[0]!);
      if (ctx.json) return ctx.out(toJson({ path, data: dataJson(data), stat }));
      process.stdout.write(data);
      process.stdout.write("\n");
      if (ctx.values.stat) ctx.out(statText(stat));
    },
  },
  set: {
    usage: "zk set [-s] [-v VERSION] PATH DATA",
    summary: "set a node's data",
    help: "DATA is sent as UTF-8. -v VERSION: only if the node is at that version (else BADVERSION). -s prints the new Stat.",
    options: { version: { type: "string", short: "v" }, stat: { type: "boolean", short: "s" } },
    args: [2, 2],
    async run(ctx) {
      const stat = await ctx.client().setData(ctx.args[0]!, ctx.args[1]!, int(ctx.values.version, "version", -1));
      if (ctx.json) ctx.out(toJson({ path: ctx.args[0], stat }));
      else if (ctx.values.stat) ctx.out(statText(stat));
    },
  },
  create: {
    usage: "zk create [-e] [-s] [-c] [-t TTL] [-p] PATH [DATA]",
    summary: "create a node",
    help: `Modes, as zkCli's: -e ephemeral, -s sequential, -c container, -t TTL (ms) persistent with TTL;
-e -s and -s -t combine. An ephemeral node lives as long as its session: give --session ID
(a session that zk session keeps open), or it goes when this command's own session closes.
-p creates missing parents. --acl scheme:id:perms[,...] sets the ACL.`,
    options: {
      ephemeral: { type: "boolean", short: "e" },
      sequential: { type: "boolean", short: "s" },
      container: { type: "boolean", short: "c" },
      ttl: { type: "string", short: "t" },
      parents: { type: "boolean", short: "p" },
      acl: { type: "string" },
    },
    args: [1, 2],
    async run(ctx) {
      const v = ctx.values;
      const mode = createMode(!!v.ephemeral, !!v.sequential, !!v.container, v.ttl !== undefined);
      const ttlMs = v.ttl === undefined ? undefined : int(v.ttl, "ttl", 0);
      const zk = v.ephemeral ? await ctx.withSession() : ctx.client();
      const created = await zk.create(ctx.args[0]!, {
        data: ctx.args[1] === undefined ? undefined : fromText(ctx.args[1]),
        mode,
        ttlMs,
        acl: typeof v.acl === "string" ? parseAcl(v.acl) : undefined,
        parents: !!v.parents,
      });
      ctx.out(ctx.json ? toJson(created) : `Created ${created.path}`);
      if (v.ephemeral && !ctx.values.session && !process.env.ZK_SESSION && !ctx.json) {
        process.stderr.write("note: no --session given, so the node goes when this command's session closes, now\n");
      }
    },
  },
  rm: {
    usage: "zk rm [-r] [-v VERSION] PATH",
    summary: "delete a node (-r: with everything below it)",
    help: "-v VERSION: only if the node is at that version. -r deletes the children first (zkCli's deleteall).",
    options: { recursive: { type: "boolean", short: "r" }, version: { type: "string", short: "v" } },
    args: [1, 1],
    async run(ctx) {
      await ctx.client().delete(ctx.args[0]!, { version: int(ctx.values.version, "version", -1), recursive: !!ctx.values.recursive });
      if (ctx.json) ctx.out(toJson({ path: ctx.args[0], deleted: true }));
    },
  },
  stat: {
    usage: "zk stat PATH",
    summary: "print a node's Stat",
    help: "zkCli's layout: zxids and the ephemeral owner in hex, times as ISO dates. --json gives decimals.",
    args: [1, 1],
    async run(ctx) {
      const stat = await ctx.client().exists(ctx.args[0]!);
      if (!stat) {
        throw new NoNodeError("NONODE", `${ctx.args[0]} does not exist`, { path: ctx.args[0] });
      }
      ctx.out(ctx.json ? toJson({ path: ctx.args[0], stat }) : statText(stat));
    },
  },
  acl: {
    usage: "zk acl get PATH | zk acl set [-s] [-v AVERSION] PATH ACL",
    summary: "read or set a node's ACL",
    help: `ACL is zkCli's scheme:id:perms[,...], perms from cdrwa; schemes world, auth, digest, ip.
  zk acl set /app world:anyone:r
  zk acl set /app auth::cdrwa --user alice   (ZK_PASSWORD=secret)
  zk acl set /app digest:alice:<base64 sha1 of alice:secret>:cdrwa
-v AVERSION: only if the ACL is at that version. -s prints the new Stat.`,
    options: { version: { type: "string", short: "v" }, stat: { type: "boolean", short: "s" } },
    args: [2, 3],
    async run(ctx) {
      const [sub, path, acl] = ctx.args;
      if (sub === "get" && ctx.args.length === 2) {
        const r = await ctx.client().getAcl(path!);
        return ctx.out(ctx.json ? toJson(r) : aclText(r.acl));
      }
      if (sub === "set" && ctx.args.length === 3) {
        const stat = await ctx.client().setAcl(path!, parseAcl(acl!), int(ctx.values.version, "aversion", -1));
        if (ctx.json) return ctx.out(toJson({ path, stat }));
        return ctx.values.stat ? ctx.out(statText(stat)) : undefined;
      }
      throw new UsageError("expected: acl get PATH, or acl set PATH ACL");
    },
  },
  watch: {
    usage: "zk watch [-r] [--zxid ZXID] PATH",
    summary: "print the events on a node until Ctrl-C",
    help: `A persistent watch (addWatch): NodeCreated, NodeDataChanged, NodeDeleted of PATH and its
NodeChildrenChanged; with -r every node below PATH too (no NodeChildrenChanged). --zxid starts
after that zxid instead of now. One line per event: TYPE PATH zxid=Z (--json: one object per line).`,
    options: { recursive: { type: "boolean", short: "r" }, zxid: { type: "string" } },
    args: [1, 1],
    async run(ctx) {
      const zk = ctx.client();
      const zxid = typeof ctx.values.zxid === "string" ? bigint(ctx.values.zxid, "zxid") : undefined;
      const watch = zk.addWatch(ctx.args[0]!, { recursive: !!ctx.values.recursive, zxid });
      onInterrupt(() => watch.close());
      if (!ctx.json) process.stderr.write(`watching ${ctx.args[0]}${ctx.values.recursive ? " and below" : ""} (Ctrl-C to stop)\n`);
      for await (const e of watch) ctx.out(ctx.json ? toJson(e) : eventText(e));
    },
  },
  session: {
    usage: "zk session [--timeout MS]",
    summary: "open a session and keep it alive until Ctrl-C",
    help: `Opens a session, prints its id, and pings it at a third of its timeout until Ctrl-C, printing
each connection state (connected, suspended, expired). Other commands can act in it with
--session ID (e.g. zk create -e). Ctrl-C closes it: its ephemeral nodes go at once.`,
    options: { timeout: { type: "string" } },
    args: [0, 0],
    async run(ctx) {
      const zk = ctx.client({ sessionTimeoutMs: int(ctx.values.timeout, "timeout", 30_000) });
      const log = (state: string) =>
        ctx.out(ctx.json ? toJson({ state, id: zk.sessionId, timeoutMs: zk.sessionInfo?.timeoutMs }) : `${new Date().toISOString()} ${state}`);
      const info = await zk.start();
      ctx.out(ctx.json ? toJson({ state: "connected", id: info.id, timeoutMs: info.timeoutMs }) : `session ${info.id} (0x${info.id.toString(16)}), timeout ${info.timeoutMs} ms`);
      zk.on("state", (s) => {
        if (s !== "closed") log(s);
      });
      const done = new Promise<number>((resolve) => {
        onInterrupt(() => resolve(0));
        zk.when("expired").then(() => resolve(1));
      });
      const code = await done;
      await zk.close();
      if (!ctx.json) ctx.out(code === 0 ? "session closed" : "session expired");
      return code;
    },
  },
  lock: {
    usage: "zk lock [--timeout MS] PATH -- COMMAND [ARG...]",
    summary: "run a command while holding a lock",
    help: `Waits for the fair lock at PATH (a sequential ephemeral node below it; first come, first
served), runs COMMAND while holding it, then releases it. The exit code is COMMAND's. If the
lock is lost while COMMAND runs (the session expired, the node was deleted, or the service was
unreachable too long), COMMAND is sent SIGTERM and zk exits 1. --timeout MS gives up
waiting after MS milliseconds (exit 1, COMMAND not run).`,
    options: { timeout: { type: "string" } },
    args: [1, 1],
    async run(ctx) {
      const command = ctx.values.command as unknown as string[];
      if (!command?.length) throw new UsageError("lock needs a command after --");
      const waitMs = ctx.values.timeout === undefined ? undefined : int(ctx.values.timeout, "timeout", 0);
      const zk = ctx.client();
      await zk.start();
      const interrupted = new AbortController();
      onInterrupt(() => interrupted.abort(new UsageError("interrupted")));
      const gaveUp = waitMs === undefined ? undefined : AbortSignal.timeout(Math.max(1, waitMs));
      let held;
      try {
        held = await new Lock(zk, ctx.args[0]!).acquire({ signal: gaveUp ? AbortSignal.any([interrupted.signal, gaveUp]) : interrupted.signal });
      } catch (e) {
        await zk.close();
        if (interrupted.signal.aborted) return 130;
        if (gaveUp?.aborted) {
          process.stderr.write(`zk lock: ${ctx.args[0]} still held by another after ${waitMs} ms; gave up\n`);
          return 1;
        }
        throw e;
      }
      if (ctx.json) ctx.out(toJson({ locked: ctx.args[0], node: held.path }));
      const child = spawn(command[0]!, command.slice(1), { stdio: "inherit" });
      const hold = held;
      hold.signal.addEventListener("abort", () => {
        const reason: unknown = hold.signal.reason;
        const why = reason instanceof LostError && reason.why !== "expired" ? reason.message : "the session expired";
        process.stderr.write(`zk lock: ${why}: the lock is lost; stopping the command\n`);
        child.kill("SIGTERM");
      });
      const code = await new Promise<number>((resolve) => {
        child.on("error", (e) => {
          process.stderr.write(`zk lock: cannot run ${command[0]}: ${e.message}\n`);
          resolve(127);
        });
        child.on("exit", (c, signal) => resolve(c ?? (signal ? 128 + (signalNumber[signal] ?? 0) : 1)));
      });
      const lost = held.isLost;
      await held.release();
      await zk.close();
      return lost ? 1 : code;
    },
  },
};

const signalNumber: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

function eventText(e: WatchEvent): string {
  return `${e.type} ${e.path} zxid=${e.zxid}`;
}

function onInterrupt(fn: () => void): void {
  for (const s of ["SIGINT", "SIGTERM"] as const) process.once(s, fn);
}

function createMode(ephemeral: boolean, sequential: boolean, container: boolean, ttl: boolean): CreateMode {
  if ([ephemeral, container, ttl].filter(Boolean).length > 1) throw new UsageError("-e, -c and -t do not combine");
  if (container && sequential) throw new UsageError("a container cannot be sequential");
  if (ephemeral) return sequential ? "ephemeral_sequential" : "ephemeral";
  if (container) return "container";
  if (ttl) return sequential ? "persistent_sequential_with_ttl" : "persistent_with_ttl";
  return sequential ? "persistent_sequential" : "persistent";
}

function int(v: string | boolean | undefined, name: string, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== "string" || !/^-?\d+$/.test(v)) throw new UsageError(`--${name} must be an integer, not ${JSON.stringify(v)}`);
  return Number(v);
}

function bigint(v: string, name: string): bigint {
  if (!/^\d+$/.test(v)) throw new UsageError(`--${name} must be a decimal integer, not ${JSON.stringify(v)}`);
  return BigInt(v);
}

function usageText(): string {
  const width = Math.max(...Object.values(COMMANDS).map((c) => c.usage.length));
  return `zk: ZooKeeper's commands against a zk-etcd service (the HTTP API)

Usage: zk COMMAND [OPTIONS] ARGS

${Object.values(COMMANDS)
  .map((c) => `  ${c.usage.padEnd(width)}  ${c.summary}`)
  .join("\n")}

${GLOBAL_HELP}

zk COMMAND --help tells more. Exit codes: 0 done, 1 a ZooKeeper error (the message says which),
2 a mistake in the command line; zk lock exits with its command's code.`;
}

function commandHelp(c: Command): string {
  return `Usage: ${c.usage}\n\n${c.summary[0]!.toUpperCase()}${c.summary.slice(1)}. ${c.help}\n\n${GLOBAL_HELP}`;
}

/** The first argument that is neither an option nor a global option's value. */
function findCommand(argv: string[]): number {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") return -1;
    if (!a.startsWith("-")) return i;
    const name = a.replace(/^--?/, "");
    if (!a.includes("=") && GLOBAL[name]?.type === "string") i++;
  }
  return -1;
}

export async function main(argv: string[]): Promise<number> {
  const env = process.env;
  const at = findCommand(argv);
  if (at < 0) {
    const wantsHelp = argv.includes("--help") || argv.includes("-h") || argv.length === 0;
    (wantsHelp ? process.stdout : process.stderr).write(usageText() + "\n");
    return wantsHelp ? 0 : 2;
  }
  const name = argv[at]!;
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`zk: unknown command "${name}"\n\n${usageText()}\n`);
    return 2;
  }
  let rest = [...argv.slice(0, at), ...argv.slice(at + 1)];
  let tail: string[] | undefined;
  if (name === "lock") {
    const dd = rest.indexOf("--");
    if (dd >= 0) {
      tail = rest.slice(dd + 1);
      rest = rest.slice(0, dd);
    }
  }
  let values: Values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: rest, options: { ...GLOBAL, ...command.options }, allowPositionals: true, strict: true }) as {
      values: Values;
      positionals: string[];
    });
  } catch (e) {
    process.stderr.write(`zk ${name}: ${(e as Error).message}\nUsage: ${command.usage} (zk ${name} --help)\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(commandHelp(command) + "\n");
    return 0;
  }
  const [min, max] = command.args;
  if (positionals.length < min || positionals.length > max) {
    process.stderr.write(`zk ${name}: expected ${min === max ? min : `${min} to ${max}`} argument${max === 1 ? "" : "s"}, got ${positionals.length}\nUsage: ${command.usage}\n`);
    return 2;
  }
  const json = !!values.json;
  const user = (values.user as string | undefined) ?? env.ZK_USER;
  const password = (values.password as string | undefined) ?? env.ZK_PASSWORD;
  const sessionText = (values.session as string | undefined) ?? env.ZK_SESSION;
  let client: ZkClient | undefined;
  let borrowed = false;
  const makeClient = (options: { sessionTimeoutMs?: number } = {}) =>
    (client ??= new ZkClient({
      url: (values.url as string | undefined) ?? env.ZK_URL ?? DEFAULT_URL,
      user,
      password,
      sessionTimeoutMs: options.sessionTimeoutMs ?? 10_000,
    }));
  const ctx: Ctx = {
    values: { ...values, command: tail as never },
    args: positionals,
    json,
    client: makeClient,
    async withSession() {
      const zk = makeClient();
      if (sessionText === undefined) await zk.start();
      else {
        await zk.start({ sessionId: bigint(sessionText, "session") });
        borrowed = true;
      }
      return zk;
    },
    out: (text) => {
      if (text !== "") process.stdout.write(text + "\n");
    },
  };
  try {
    const code = await command.run(ctx);
    return code ?? 0;
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`zk ${name}: ${e.message}\nUsage: ${command.usage}\n`);
      return 2;
    }
    if (isZkError(e)) {
      process.stderr.write(json ? toJson({ error: { code: e.code, zkCode: e.zkCode, message: e.message, path: e.path } }) + "\n" : `zk ${name}: ${errorText(e)}\n`);
      return 1;
    }
    process.stderr.write(`zk ${name}: ${(e as Error)?.stack ?? e}\n`);
    return 1;
  } finally {
    // A session named with --session belongs to someone else: leave it open.
    await client?.close({ keepSession: borrowed }).catch(() => undefined);
  }
}

process.exitCode = await main(process.argv.slice(2));
// Pending timers (a watch's backoff) must not keep a finished command alive.
process.exit();
