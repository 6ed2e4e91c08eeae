// The zk command line, run as child processes (as a user runs it) against the
// Node server on a real etcd. Expected output follows from ZooKeeper's
// semantics and the CLI's documented format, not from a previous run.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { digestId, ZkClient } from "zk-etcd/client";
import { startEtcd, type EtcdServer } from "../support/etcd-server.js";
import { startHttpService, type HttpService } from "../support/http-service.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const ZK = path.join(ROOT, "cli/zk.js");

let etcd: EtcdServer;
let svc: HttpService;
let zk: ZkClient;
let tmp: string;
const children = new Set<ChildProcess>();

beforeAll(async () => {
  etcd = await startEtcd();
  svc = await startHttpService(etcd.endpoint, { ZK_API_CREDENTIALS: "alice:secret,bob:pw" });
  zk = new ZkClient({ url: svc.url });
  tmp = await mkdtemp(path.join(os.tmpdir(), "zk-cli-"));
});

afterAll(async () => {
  for (const c of children) c.kill("SIGKILL");
  await zk?.close();
  await svc?.close();
  await etcd?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, ZK_URL: svc.url, ...extra };
  for (const k of ["ZK_USER", "ZK_PASSWORD", "ZK_SESSION"]) if (!(k in extra)) delete e[k];
  return e;
}

/** A long-running zk command, with its output as it comes. */
function start(args: string[], extra: Record<string, string> = {}, bin = [ZK]) {
  const child = spawn(process.execPath, [...bin, ...args], { env: env(extra), cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d) => (stdout += d));
  child.stderr!.on("data", (d) => (stderr += d));
  const done = new Promise<Run>((resolve) =>
    child.on("close", (code) => {
      children.delete(child);
      resolve({ code, stdout, stderr });
    }),
  );
  return {
    child,
    done,
    out: () => stdout,
    err: () => stderr,
    async waitFor(pred: (stdout: string) => boolean, what: string): Promise<string> {
      for (;;) {
        if (pred(stdout)) return stdout;
        if (child.exitCode !== null) throw new Error(`zk ${args.join(" ")} exited before ${what}: ${stderr}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
  };
}

async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const zkRun = (args: string[], extra: Record<string, string> = {}) => start(args, extra).done;

describe("help and mistakes", { timeout: 180_000 }, () => {
  test("--help on zk and on every command; usage errors exit 2", async () => {
    const top = await zkRun(["--help"]);
    expect(top.code).toBe(0);
    const commands = ["ls", "tree", "get", "set", "create", "rm", "stat", "acl", "watch", "session", "lock"];
    for (const c of commands) expect(top.stdout).toContain(`zk ${c}`);
    const helps = await Promise.all(commands.map((c) => zkRun([c, "--help"])));
    helps.forEach((h, i) => {
      expect(h.code, commands[i]).toBe(0);
      expect(h.stdout).toMatch(new RegExp(`^Usage: zk ${commands[i]}`));
      expect(h.stdout).toContain("--url URL");
    });
    const [unknown, badOption, missingArg, badVersion] = await Promise.all([
      zkRun(["frobnicate"]),
      zkRun(["get", "--nope", "/"]),
      zkRun(["set", "/only-path"]),
      zkRun(["set", "-v", "x", "/a", "b"]),
    ]);
    expect(unknown).toMatchObject({ code: 2, stdout: "" });
    expect(unknown.stderr).toContain('unknown command "frobnicate"');
    expect(badOption.code).toBe(2);
    expect(badOption.stderr).toContain("--nope");
    expect(missingArg.code).toBe(2);
    expect(missingArg.stderr).toContain("expected 2 arguments, got 1");
    expect(badVersion.code).toBe(2);
    expect(badVersion.stderr).toContain("--version must be an integer");
  });

  test("npx zk runs the bin of this package", async () => {
    const r = await new Promise<Run>((resolve) => {
      const c = spawn("npx", ["--no-install", "zk", "ls", "/"], { env: env(), cwd: ROOT });
      let stdout = "";
      let stderr = "";
      c.stdout.on("data", (d) => (stdout += d));
      c.stderr.on("data", (d) => (stderr += d));
      c.on("close", (code) => resolve({ code, stdout, stderr }));
    });
    expect(r.stderr).toBe("");
    expect(r.stdout.split("\n")).toContain("zookeeper");
    expect(r.code).toBe(0);
  });
});

describe("znodes", { timeout: 180_000 }, () => {
  test("create, get, set, stat, ls, tree, rm as zkCli prints them", async () => {
    expect(await zkRun(["create", "/app", "hello"])).toEqual({ code: 0, stdout: "Created /app\n", stderr: "" });
    expect(await zkRun(["get", "/app"])).toEqual({ code: 0, stdout: "hello\n", stderr: "" });
    expect(await zkRun(["set", "/app", "quiet"])).toEqual({ code: 0, stdout: "", stderr: "" });
    const set = await zkRun(["set", "-s", "/app", "world", "-v", "1"]);
    expect(set.code).toBe(0);
    expect(set.stdout).toContain("dataVersion = 2\n");
    const stat = await zkRun(["stat", "/app"]);
    const s = (await zk.exists("/app"))!;
    expect(stat.stdout).toBe(
      [
        `cZxid = 0x${s.czxid.toString(16)}`,
        `ctime = ${new Date(s.ctime).toISOString()}`,
        `mZxid = 0x${s.mzxid.toString(16)}`,
        `mtime = ${new Date(s.mtime).toISOString()}`,
        `pZxid = 0x${s.pzxid.toString(16)}`,
        "cversion = 0",
        "dataVersion = 2",
        "aclVersion = 0",
        "ephemeralOwner = 0x0",
        "dataLength = 5",
        "numChildren = 0",
        "",
      ].join("\n"),
    );
    const getJson = JSON.parse((await zkRun(["get", "/app", "--json"])).stdout);
    expect(getJson).toEqual({ path: "/app", data: { text: "world" }, stat: { ...getJson.stat, czxid: s.czxid.toString(), version: 2 } });

    expect((await zkRun(["create", "-s", "/app/job-", "j"])).stdout).toBe("Created /app/job-0000000000\n");
    expect((await zkRun(["create", "-c", "/app/box"])).stdout).toBe("Created /app/box\n");
    expect((await zkRun(["create", "-t", "60000", "/app/ttl"])).stdout).toBe("Created /app/ttl\n");
    expect((await zkRun(["create", "-s", "-t", "60000", "/app/ttl-"])).stdout).toBe("Created /app/ttl-0000000003\n");
    expect((await zkRun(["create", "-p", "/app/deep/er", "x"])).stdout).toBe("Created /app/deep/er\n");
    expect((await zkRun(["ls", "/app"])).stdout).toBe("box\ndeep\njob-0000000000\nttl\nttl-0000000003\n");
    expect((await zkRun(["tree", "/app"])).stdout).toBe(
      ["/app", "├── box", "├── deep", "│   └── er", "├── job-0000000000", "├── ttl", "└── ttl-0000000003", ""].join("\n"),
    );
    expect(JSON.parse((await zkRun(["ls", "/app", "--json"])).stdout).children).toEqual(["box", "deep", "job-0000000000", "ttl", "ttl-0000000003"]);
    const modes = await zk.multiRead(["/app/box", "/app/ttl"].map((p) => ({ op: "getData" as const, path: p })));
    expect(modes.every((m) => "stat" in m && m.stat.ephemeralOwner === 0n)).toBe(true);

    const notEmpty = await zkRun(["rm", "/app"]);
    expect(notEmpty.code).toBe(1);
    expect(notEmpty.stderr).toBe("zk rm: NOTEMPTY (-111): /app has children\n");
    expect(await zkRun(["rm", "-r", "/app"])).toEqual({ code: 0, stdout: "", stderr: "" });
    expect(await zk.exists("/app")).toBeNull();
  });

  test("get -s, rm -v, tree without a path, and --url in place of ZK_URL", async () => {
    await zk.create("/opts", { data: "v0" });
    await zk.setData("/opts", "v1");
    const got = await zkRun(["get", "-s", "/opts"]);
    expect(got.code).toBe(0);
    const lines = got.stdout.split("\n");
    expect(lines[0]).toBe("v1");
    expect(lines).toContain("dataVersion = 1");
    expect(lines).toContain("dataLength = 2");
    // -v is the version the node must be at: a stale one is refused, the current one deletes.
    const stale = await zkRun(["rm", "-v", "0", "/opts"]);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(/^zk rm: BADVERSION \(-103\)/);
    expect(await zkRun(["rm", "-v", "1", "/opts"])).toEqual({ code: 0, stdout: "", stderr: "" });
    expect(await zk.exists("/opts")).toBeNull();
    // Without a path, tree starts at the root, which always holds /zookeeper.
    const tree = await zkRun(["tree"]);
    expect(tree.code).toBe(0);
    expect(tree.stdout.split("\n")[0]).toBe("/");
    expect(tree.stdout).toMatch(/^[├└]── zookeeper$/m);
    // --url wins over ZK_URL: ZK_URL points where nothing listens.
    const viaFlag = await zkRun(["ls", "--url", svc.url, "/"], { ZK_URL: "http://127.0.0.1:9" });
    expect(viaFlag.code).toBe(0);
    expect(viaFlag.stdout.split("\n")).toContain("zookeeper");
  });

  test("ZooKeeper errors: a message naming the code, exit 1; --json gives the error as JSON", async () => {
    await zk.create("/versioned");
    const [missing, exists, badVersion, json] = await Promise.all([
      zkRun(["get", "/missing"]),
      zkRun(["create", "/zookeeper"]),
      zkRun(["set", "-v", "5", "/versioned", "x"]),
      zkRun(["stat", "/missing", "--json"]),
    ]);
    expect(missing).toMatchObject({ code: 1, stdout: "" });
    expect(missing.stderr).toMatch(/^zk get: NONODE \(-101\): .*\/missing/);
    expect(exists.code).toBe(1);
    expect(exists.stderr).toMatch(/^zk create: NODEEXISTS \(-110\)/);
    expect(badVersion.code).toBe(1);
    expect(badVersion.stderr).toMatch(/^zk set: BADVERSION \(-103\)/);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stderr)).toMatchObject({ error: { code: "NONODE", zkCode: -101, path: "/missing" } });
    const down = await zkRun(["ls", "/"], { ZK_URL: "http://127.0.0.1:9" });
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/^zk ls: CONNECTIONLOSS \(-4\)/);
  });

  test("acl get and set, with credentials from --user and ZK_PASSWORD", async () => {
    const alice = { ZK_USER: "alice", ZK_PASSWORD: "secret" };
    expect((await zkRun(["create", "/private", "secret data"], alice)).code).toBe(0);
    expect((await zkRun(["acl", "get", "/private"])).stdout).toBe("'world,'anyone\n: cdrwa\n");
    const set = await zkRun(["acl", "set", "-s", "/private", "auth::cdrwa,world:anyone:r", "-v", "0"], alice);
    expect(set.code).toBe(0);
    expect(set.stdout).toContain("aclVersion = 1\n");
    const acl = JSON.parse((await zkRun(["acl", "get", "/private", "--json", "--user", "alice"], { ZK_PASSWORD: "secret" })).stdout);
    expect(acl.acl).toEqual([
      { scheme: "digest", id: await digestId("alice", "secret"), perms: "cdrwa" },
      { scheme: "world", id: "anyone", perms: "r" },
    ]);
    const bob = await zkRun(["set", "/private", "mine", "--user", "bob", "--password", "pw"]);
    expect(bob.code).toBe(1);
    expect(bob.stderr).toMatch(/^zk set: NOAUTH \(-102\)/);
    const wrong = await zkRun(["get", "/private", "--user", "alice", "--password", "nope"]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/^zk get: AUTHFAILED \(-115\)/);
    const badAcl = await zkRun(["acl", "set", "/private", "nonsense"]);
    expect(badAcl.code).toBe(2);
  });
});

describe("sessions, watches, locks", { timeout: 180_000 }, () => {
  test("zk session keeps a session for zk create -e --session; Ctrl-C closes it and its ephemerals go", async () => {
    const session = start(["session", "--timeout", "4000"]);
    const first = await session.waitFor((o) => o.includes("\n"), "the session line");
    const id = /^session (\d+) \(0x([0-9a-f]+)\), timeout 4000 ms$/m.exec(first);
    expect(id, first).not.toBeNull();
    expect(BigInt(id![1]!).toString(16)).toBe(id![2]);
    await zk.create("/eph");
    const made = await zkRun(["create", "-e", "/eph/one", "x", "--session", id![1]!]);
    expect(made).toEqual({ code: 0, stdout: "Created /eph/one\n", stderr: "" });
    const seq = await zkRun(["create", "-e", "-s", "/eph/s-"], { ZK_SESSION: id![1]! });
    expect(seq.stdout).toBe("Created /eph/s-0000000001\n");
    // Past the session's timeout the node is still there: zk session pings it.
    for (const end = Date.now() + 5000; Date.now() < end; await new Promise((r) => setTimeout(r, 250))) {
      expect((await zk.exists("/eph/one"))?.ephemeralOwner).toBe(BigInt(id![1]!));
    }
    session.child.kill("SIGINT");
    const end = await session.done;
    expect(end.code).toBe(0);
    expect(end.stdout).toMatch(/session closed\n$/);
    expect((await zk.getChildren("/eph")).children).toEqual([]);
    // Without --session, an ephemeral lives only as long as the command.
    const brief = await zkRun(["create", "-e", "/eph/brief"]);
    expect(brief.code).toBe(0);
    expect(brief.stderr).toContain("no --session given");
    expect(await zk.exists("/eph/brief")).toBeNull();
  });

  test("zk watch prints each event once until Ctrl-C", async () => {
    await zk.create("/watched");
    const from = zk.lastZxid;
    const watch = start(["watch", "-r", "/watched", "--zxid", from.toString(), "--json"]);
    const a = await zk.create("/watched/a", { data: "1" });
    const set = await zk.setData("/watched/a", "2");
    await zk.delete("/watched/a");
    const del = zk.lastZxid;
    const out = await watch.waitFor((o) => o.split("\n").length > 3, "three events");
    expect(out.trim().split("\n").map((l) => JSON.parse(l))).toEqual([
      { type: "NodeCreated", path: "/watched/a", zxid: a.stat.czxid.toString() },
      { type: "NodeDataChanged", path: "/watched/a", zxid: set.mzxid.toString() },
      { type: "NodeDeleted", path: "/watched/a", zxid: del.toString() },
    ]);
    // Once every client has seen the delete's zxid, nothing more may come: what it printed in all is the three.
    await zk.sync("/watched");
    watch.child.kill("SIGINT");
    const ended = await watch.done;
    expect(ended.code).toBe(0);
    expect(ended.stdout).toBe(out);

    const human = start(["watch", "/watched", "--zxid", del.toString()]);
    const made = await zk.create("/watched/b");
    await human.waitFor((o) => o.includes("\n"), "an event");
    human.child.kill("SIGINT");
    const end = await human.done;
    expect(end.stdout).toBe(`NodeChildrenChanged /watched zxid=${made.stat.czxid}\n`);
    expect(end.stderr).toBe("watching /watched (Ctrl-C to stop)\n");
  });

  test("zk lock: three processes at once, critical sections never overlap, exit codes are the commands'", async () => {
    const log = path.join(tmp, "lock.log");
    const racers = [1, 2, 3].map((i) =>
      start(["lock", "/locks/job", "--", "sh", "-c", `echo enter ${i} >> "${log}"; sleep 0.3; echo exit ${i} >> "${log}"; exit ${i + 10}`]),
    );
    const results = await Promise.all(racers.map((r) => r.done));
    expect(results.map((r) => r.code)).toEqual([11, 12, 13]);
    for (const r of results) expect(r.stderr).toBe("");
    const lines = (await readFile(log, "utf8")).trim().split("\n");
    expect(lines).toHaveLength(6);
    // Each enter is followed by its own exit before anyone else enters.
    for (let k = 0; k < 6; k += 2) {
      const who = /^enter (\d)$/.exec(lines[k]!)?.[1];
      expect(who, lines.join(" | ")).toBeDefined();
      expect(lines[k + 1]).toBe(`exit ${who}`);
    }
    expect(new Set(lines.filter((l) => l.startsWith("enter"))).size).toBe(3);
    expect((await zk.getChildren("/locks/job")).children).toEqual([]);

    // The holder's session ends under it: its command is stopped, it exits 1, the next waiter gets the lock.
    const holderLog = path.join(tmp, "holder.log");
    const holder = start(["lock", "/locks/lost", "--", "sh", "-c", `echo enter >> "${holderLog}"; exec sleep 60`]);
    await until(async () => (await readFile(holderLog, "utf8").catch(() => "")).includes("enter"), "the holder to enter");
    const impatient = await zkRun(["lock", "--timeout", "300", "/locks/lost", "--", "sh", "-c", "echo never"]);
    expect(impatient).toEqual({ code: 1, stdout: "", stderr: "zk lock: /locks/lost still held by another after 300 ms; gave up\n" });
    const waiter = start(["lock", "/locks/lost", "--", "sh", "-c", "echo next holder"]);
    await until(async () => (await zk.getChildren("/locks/lost")).children.length === 2, "the waiter to queue");
    const [first] = (await zk.getChildren("/locks/lost")).children.sort((a, b) => a.slice(-10).localeCompare(b.slice(-10)));
    const owner = (await zk.exists(`/locks/lost/${first}`))!.ephemeralOwner;
    const closed = await fetch(`${svc.url}/v1/sessions/${owner}`, { method: "DELETE" });
    expect(closed.status).toBe(204);
    const lost = await holder.done;
    expect(lost.code).toBe(1);
    // The lock learns of the end through its node's deletion or the session's 410, whichever comes first.
    expect(lost.stderr).toMatch(/(the session expired|its node was deleted): the lock is lost; stopping the command/);
    expect(await waiter.done).toEqual({ code: 0, stdout: "next holder\n", stderr: "" });

    const missing = await zkRun(["lock", "/locks/job", "--", "/no/such/command"]);
    expect(missing.code).toBe(127);
    const noCommand = await zkRun(["lock", "/locks/job"]);
    expect(noCommand.code).toBe(2);
  });
});
