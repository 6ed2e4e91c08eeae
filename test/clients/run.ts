// Runs each real client's script against a target and reads its summary.
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { REPO } from "./targets.js";

export const SCRIPTS = path.join(REPO, "test/clients/scripts");
const RUN_TIMEOUT_MS = 150_000;

/** One check's outcome: its own assertions held (ok) and what it observed (facts, compared between targets). */
export interface CheckResult {
  ok: boolean;
  facts?: unknown;
  error?: string;
  trace?: string;
}
export interface Summary {
  checks: Record<string, CheckResult>;
  /** Everything the client printed, for failure messages. */
  log: string;
}

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A client process, with its stdin open for the restart handshake. */
export function launch(bin: string, args: string[], input?: string) {
  const child = spawn(bin, args, { cwd: REPO, stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  const lineWaiters: Array<{ test: (l: string) => boolean; resolve: (l: string) => void }> = [];
  child.stdout.setEncoding("utf8").on("data", (d: string) => {
    stdout += d;
    for (const w of [...lineWaiters]) {
      const line = stdout.split("\n").find(w.test);
      if (line !== undefined) {
        lineWaiters.splice(lineWaiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  });
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  if (input !== undefined) child.stdin.end(input);
  const timer = setTimeout(() => child.kill("SIGKILL"), RUN_TIMEOUT_MS);
  const done = new Promise<Finished>((resolve) => {
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.on("error", (e) => {
      clearTimeout(timer);
      resolve({ code: -1, stdout, stderr: `${stderr}\n${e.message}` });
    });
  });
  return {
    child,
    done,
    /** The first stdout line passing `test`; rejects if the process ends first. */
    line(test: (l: string) => boolean): Promise<string> {
      const seen = stdout.split("\n").find(test);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        lineWaiters.push({ test, resolve });
        void done.then((f) => reject(new Error(`exited (${f.code}) before the line:\n${f.stdout}\n${f.stderr}`)));
      });
    },
    send(text: string) {
      child.stdin.write(text);
    },
  };
}

/** The JSON object on the last line of stdout that parses as one. */
export function lastJson(f: Finished): any {
  const lines = f.stdout.trim().split("\n").reverse();
  for (const l of lines) {
    if (!l.startsWith("{")) continue;
    try {
      return JSON.parse(l);
    } catch {
      /* a partial line */
    }
  }
  throw new Error(`no JSON summary (exit ${f.code}):\n${f.stdout}\n${f.stderr}`);
}

function summary(f: Finished): Summary {
  const parsed = lastJson(f);
  return { checks: parsed.checks, log: `${f.stdout}\n${f.stderr}`.slice(-8000) };
}

export const PYTHON = "/usr/bin/python3";

export function kazooArgs(connectString: string, mode: "checks" | "restart"): string[] {
  return [path.join(SCRIPTS, "kazoo_script.py"), connectString, mode];
}

const JAVA_DIR = "/usr/share/java";
/** Curator and ZooKeeper's client jars as Debian installs them; slf4j-nop keeps the output to the script's own. */
export const CURATOR_CLASSPATH = [
  "curator-client",
  "curator-framework",
  "curator-recipes",
  "guava",
  "slf4j-api",
  "slf4j-nop",
  "zookeeper",
  "zookeeper-jute",
]
  .map((j) => path.join(JAVA_DIR, `${j}.jar`))
  .join(path.delimiter);

export function curatorArgs(connectString: string, mode: "checks" | "restart"): string[] {
  return [
    "-XX:+UseSerialGC",
    "-XX:TieredStopAtLevel=1",
    "-Xmx256m",
    "-cp",
    CURATOR_CLASSPATH,
    path.join(SCRIPTS, "CuratorScript.java"),
    connectString,
    mode,
  ];
}

export async function runKazoo(connectString: string): Promise<Summary> {
  return summary(await launch(PYTHON, kazooArgs(connectString, "checks")).done);
}

export async function runCurator(connectString: string): Promise<Summary> {
  return summary(await launch("java", curatorArgs(connectString, "checks")).done);
}

// ---- zkCli --------------------------------------------------------------

/**
 * zkcli.txt is split into sections by `#section NAME` lines. Each becomes a
 * `get /.section/NAME` command, whose "Node does not exist" answer marks where
 * the section's output begins (zkCli does not echo commands it reads from a pipe).
 */
export async function zkCliScript(): Promise<{ input: string; sections: string[] }> {
  const text = await readFile(path.join(SCRIPTS, "zkcli.txt"), "utf8");
  const sections: string[] = [];
  const lines = text.split("\n").map((l) => {
    const m = /^#section (\S+)/.exec(l);
    if (!m) return l;
    sections.push(m[1]!);
    return `get /.section/${m[1]}`;
  });
  return { input: lines.join("\n"), sections };
}

export interface ZkCliRun {
  /** Each section's output, normalized (see normalizeZkCli). */
  sections: Record<string, string[]>;
  /** Watch notifications in the order they came (they print asynchronously, between any two lines). */
  events: string[];
  raw: string;
}

/** Replaces what legitimately differs between servers and runs: times, zxids, session ids. */
export function normalizeZkCli(raw: string, sectionNames: string[]): ZkCliRun {
  const events: string[] = [];
  const sections: Record<string, string[]> = {};
  let current: string[] | undefined;
  // Canonical names restart in each section, so one section's difference does not spread to the next.
  let zxids = new Map<string, string>();
  let sessions = new Map<string, string>();
  const canon = (map: Map<string, string>, prefix: string, v: string) => {
    if (!map.has(v)) map.set(v, `${prefix}${map.size + 1}`);
    return map.get(v)!;
  };
  for (const line of raw.split("\n")) {
    const ev = /^WatchedEvent (.*)$/.exec(line);
    if (ev) {
      // "Closed" comes as zkCli quits, printed or not before the JVM exits.
      if (ev[1] !== "state:Closed type:None path:null") events.push(ev[1]!);
      continue;
    }
    if (line === "" || line === "WATCHER::" || /^(SLF4J:|Connecting to |Welcome to ZooKeeper!|JLine support)/.test(line)) continue;
    const marker = /^Node does not exist: \/\.section\/(\S+)$/.exec(line);
    if (marker) {
      current = sections[marker[1]!] = [];
      zxids = new Map();
      sessions = new Map();
      continue;
    }
    // whoami lists the connection's ids in the order of a server-side hash set.
    if (/^\w+: \S/.test(line) && current && whoami(current)) {
      insertSorted(current, line);
      continue;
    }
    let l = line.replace(/^([cm]time) = .*/, "$1 = <time>");
    l = l.replace(/^([cmp]Zxid) = (0x[0-9a-f]+)$/, (_, k: string, v: string) => `${k} = ${canon(zxids, "z", v)}`);
    l = l.replace(/^ephemeralOwner = (0x[0-9a-f]+)$/, (_, v: string) => (v === "0x0" ? "ephemeralOwner = 0x0" : `ephemeralOwner = ${canon(sessions, "s", v)}`));
    // getEphemerals lists in the server's hash order; ls is sorted by zkCli itself.
    l = l.replace(/^\[(.*)\]$/, (_, items: string) => `[${items.split(", ").sort().join(", ")}]`);
    current?.push(l);
  }
  for (const s of sectionNames) sections[s] ??= ["<section missing: zkCli stopped before it>"];
  return { sections, events, raw };
}

/** True while the lines printed last are whoami's ("Auth scheme: User" and its ids). */
function whoami(lines: string[]): boolean {
  for (let i = lines.length - 1; i >= 0; i--) {
    if (lines[i] === "Auth scheme: User") return true;
    if (!/^\w+: \S/.test(lines[i]!)) return false;
  }
  return false;
}

function insertSorted(lines: string[], line: string): void {
  let i = lines.length;
  while (lines[i - 1] !== "Auth scheme: User" && lines[i - 1]! > line) i--;
  lines.splice(i, 0, line);
}

export async function runZkCli(connectString: string): Promise<ZkCliRun> {
  const { input, sections } = await zkCliScript();
  // Both streams into one, in the order written: "Created /x" goes to stderr, data to stdout.
  const cmd = `exec java -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -cp /etc/zookeeper/conf:/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-nop.jar org.apache.zookeeper.ZooKeeperMain -server ${connectString} 2>&1`;
  const f = await launch("sh", ["-c", cmd], input).done;
  return normalizeZkCli(f.stdout, sections);
}
