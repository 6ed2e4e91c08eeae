// Shorthands for writing scripted scenarios: each call is one lockstep step.
import type { Lockstep } from "./harness.js";
import type { Acl, Data, Mode, MultiOp, ReadOp, WatchKind } from "./ops.js";

interface Who {
  /** The actor: an anonymous actor's name (default "anon") or a session label. */
  as?: string;
  /** ZooKeeper's answer the scenario is about (checked, so a scenario cannot silently miss its case). */
  expect?: string;
}

export function dsl(t: Lockstep) {
  const who = (o: Who | undefined) => o?.as ?? "anon";
  return {
    create: (path: string, o: Who & { data?: Data; mode?: Mode; acl?: Acl[]; ttlMs?: number; via?: "octets" } = {}) =>
      t.step(who(o), { op: "create", path, data: o.data, mode: o.mode, acl: o.acl, ttlMs: o.ttlMs, via: o.via }, o.expect),
    get: (path: string, o?: Who & { via?: "octets" }) => t.step(who(o), { op: "getData", path, via: o?.via }, o?.expect),
    exists: (path: string, o?: Who & { via?: "head" }) => t.step(who(o), { op: "exists", path, via: o?.via }, o?.expect),
    children: (path: string, o?: Who) => t.step(who(o), { op: "getChildren", path }, o?.expect),
    set: (path: string, data: Data | undefined, o: Who & { version?: number; via?: "octets" | "if-match" } = {}) =>
      t.step(who(o), { op: "setData", path, data, version: o.version, via: o.via }, o.expect),
    del: (path: string, o: Who & { version?: number; via?: "if-match" } = {}) => t.step(who(o), { op: "delete", path, version: o.version, via: o.via }, o.expect),
    getAcl: (path: string, o?: Who) => t.step(who(o), { op: "getACL", path }, o?.expect),
    setAcl: (path: string, acl: Acl[], o: Who & { aversion?: number } = {}) => t.step(who(o), { op: "setACL", path, acl, aversion: o.aversion }, o.expect),
    multi: (ops: MultiOp[], o?: Who & { tree?: boolean }) => t.step(who(o), { op: "multi", ops }, o?.expect, { tree: o?.tree }),
    multiRead: (ops: ReadOp[], o?: Who) => t.step(who(o), { op: "multiRead", ops }, o?.expect),
    sync: (path: string, o?: Who) => t.step(who(o), { op: "sync", path }, o?.expect),
    open: (label: string, o: { timeoutMs?: number; auth?: string; expect?: string } = {}) => t.step(label, { op: "open", timeoutMs: o.timeoutMs ?? 2000, auth: o.auth }, o.expect),
    close: (label: string, o: { expect?: string } = {}) => t.step(label, { op: "close" }, o.expect),
    ping: (label: string, o: { expect?: string } = {}) => t.step(label, { op: "ping" }, o.expect),
    inspect: (label: string, o: { expect?: string } = {}) => t.step(label, { op: "inspect" }, o.expect),
    /**
     * `tree: false`: the trees are not read after the expiry, so the next op is
     * the first to meet its effects. `zxid: false`: where ZooKeeper's reaper
     * runs, it may have spent the next zxid by the time the expiry is seen.
     */
    expire: (label: string, o: { tree?: boolean; zxid?: boolean } = {}) => t.step(label, { op: "expire" }, "OK", o),
    /** ZooKeeper's ContainerManager runs (a scenario with `reaperMs`); the service's scheduled job runs once. */
    reap: () => t.step("anon", { op: "reap" }, "OK"),
    /** The read of `kind` on `path`, setting the watch `name`. */
    watch: (name: string, kind: WatchKind, path: string, o?: Who) => t.step(who(o), { op: "watch", path, kind, name }, o?.expect),
    /** addWatch: a persistent watch named `name`. */
    addWatch: (name: string, path: string, o: Who & { recursive?: boolean } = {}) => t.step(who(o), { op: "addWatch", path, recursive: o.recursive ?? false, name }, o.expect),
    /** The first event of watch `name` (every event of a persistent one); `event`/`heard` are ZooKeeper's, checked like `expect`. */
    events: async (name: string, o: Who & { event?: string; heard?: string[] } = {}) => {
      const r = await t.step(who(o), { op: "events", name }, o.expect, { tree: false });
      if (o.event !== undefined && r.event !== o.event) throw new Error(`scenario expected ZooKeeper's watch ${name} to have ${o.event}, it has ${r.event}`);
      if (o.heard !== undefined && JSON.stringify(r.heard) !== JSON.stringify(o.heard)) {
        throw new Error(`scenario expected ZooKeeper's watch ${name} to have heard ${JSON.stringify(o.heard)}, it heard ${JSON.stringify(r.heard)}`);
      }
      return r;
    },
  };
}

export const OPEN: Acl[] = [{ perms: "cdrwa", scheme: "world", id: "anyone" }];
export const READ_ONLY: Acl[] = [{ perms: "r", scheme: "world", id: "anyone" }];
