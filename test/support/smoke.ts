// A representative slice of the HTTP API, run against one service on a fresh
// key prefix: what the TLS and auth tests push through each transport, to show
// that the service as a whole (not one etcd call) works in that setting.
// Expected values are ZooKeeper 3.8's (the integration suite checks them in
// depth): a sequential suffix counts the children ever created, a failed multi applies
// nothing, a watch reports the first change after the read.
import { expect } from "vitest";

export interface SmokeReply {
  status: number;
  body: any;
  zxid: bigint;
}

export type SmokeCall = (method: string, path: string, init?: { json?: unknown; headers?: Record<string, string> }) => Promise<SmokeReply>;

const b64 = (s: string) => Buffer.from(s).toString("base64");

/** Waits (polling, generously) until `done` says so. */
export async function until(what: string, done: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** create/get/set/delete/children, sequential, multi and a watch. Each path under `root`. */
export async function znodeBasics(call: SmokeCall, root: string): Promise<void> {
  expect((await call("POST", `/v1/znodes${root}`, { json: { data: b64("v0") } })).status).toBe(201);
  const read = await call("GET", `/v1/znodes${root}`);
  expect(read.status).toBe(200);
  expect(read.body.data).toBe(b64("v0"));
  expect(read.body.stat.version).toBe(0);

  const set = await call("PUT", `/v1/znodes${root}?version=0`, { json: { data: b64("v1") } });
  expect(set.status).toBe(200);
  expect(set.body.stat.version).toBe(1);
  const stale = await call("PUT", `/v1/znodes${root}?version=0`, { json: { data: b64("v2") } });
  expect(stale.status).toBe(412);
  expect(stale.body.code).toBe("BADVERSION");

  for (const child of ["a", "b"]) expect((await call("POST", `/v1/znodes${root}/${child}`)).status).toBe(201);
  expect((await call("DELETE", `/v1/znodes${root}/a`)).status).toBe(204);
  const children = await call("GET", `/v1/znodes${root}?view=children`);
  expect(children.body.children).toEqual(["b"]);
  expect(children.body.stat).toMatchObject({ cversion: 3, numChildren: 1 });

  // The suffix counts the children ever created (docs/api.md): a and b so far.
  const seq = [];
  for (let i = 0; i < 2; i++) seq.push((await call("POST", `/v1/znodes${root}/s-`, { json: { mode: "persistent_sequential" } })).body.path);
  expect(seq).toEqual([`${root}/s-0000000002`, `${root}/s-0000000003`]);

  const multi = await call("POST", "/v1/multi", {
    json: { ops: [{ op: "create", path: `${root}/m` }, { op: "create", path: `${root}/m/c` }, { op: "check", path: `${root}/m`, version: 0 }] },
  });
  expect(multi.status).toBe(200);
  expect(multi.body.results.map((r: { path: string }) => r.path)).toEqual([`${root}/m`, `${root}/m/c`, `${root}/m`]);
  const failed = await call("POST", "/v1/multi", { json: { ops: [{ op: "create", path: `${root}/n` }, { op: "create", path: `${root}/m` }] } });
  expect(failed.status).toBe(409);
  expect(failed.body.results.map((r: { code?: string }) => r.code)).toEqual(["OK", "NODEEXISTS"]);
  expect((await call("GET", `/v1/znodes${root}/n?view=stat`)).status).toBe(404);

  const before = await call("GET", `/v1/znodes${root}/b`);
  const changed = await call("PUT", `/v1/znodes${root}/b`, { json: { data: b64("x") } });
  const event = await call("GET", `/v1/watch${root}/b?type=data&zxid=${before.zxid}&timeoutMs=20000`);
  expect(event.status).toBe(200);
  expect(event.body).toEqual({ type: "NodeDataChanged", path: `${root}/b`, zxid: changed.body.stat.mzxid });
}

/** Sessions: pings keep one, its ephemeral lives while it does and goes when it expires or is closed. */
export async function sessionLifecycle(call: SmokeCall, root: string): Promise<void> {
  const closing = (await call("POST", "/v1/sessions", { json: { timeoutMs: 2000 } })).body.id as string;
  expect((await call("POST", `/v1/znodes${root}-closed`, { json: { mode: "ephemeral" }, headers: { "zk-session": closing } })).status).toBe(201);
  expect((await call("DELETE", `/v1/sessions/${closing}`)).status).toBe(204);
  expect((await call("GET", `/v1/znodes${root}-closed?view=stat`)).status).toBe(404);

  const opened = await call("POST", "/v1/sessions", { json: { timeoutMs: 2000 } });
  expect(opened.status).toBe(201);
  const id: string = opened.body.id;
  await call("POST", `/v1/znodes${root}`);
  const eph = await call("POST", `/v1/znodes${root}/e`, { json: { mode: "ephemeral" }, headers: { "zk-session": id } });
  expect(eph.status).toBe(201);
  expect(eph.body.stat.ephemeralOwner).toBe(id);
  expect((await call("POST", `/v1/sessions/${id}/ping`)).status).toBe(200);
  expect((await call("GET", `/v1/sessions/${id}`)).body.ephemerals).toEqual([`${root}/e`]);
  await until(`session ${id} to expire`, async () => (await call("GET", `/v1/sessions/${id}`)).status === 410);
  expect((await call("GET", `/v1/znodes${root}/e?view=stat`)).status).toBe(404);
  expect((await call("GET", `/v1/znodes${root}?view=children`)).body.children).toEqual([]);
}
