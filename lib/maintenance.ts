// The scheduled run: what nobody's read triggers. It reconciles parents whose
// ephemeral children expired, and removes empty containers and expired TTL
// nodes as ZooKeeper 3.8's ContainerManager does. Each run examines at most
// `scheduleBatch` keys per scan and resumes next time from a cursor kept in
// etcd, so a run's cost never grows with the tree.
import type { Ctx } from "./context.js";
import { ZkError } from "./errors.js";
import type { Range } from "./keys.js";
import { commitExtraWrite } from "./offset.js";
import { parentOf } from "./path.js";
import { readSettled } from "./settle.js";
import { transact } from "./transact.js";

/** Znodes per snapshot read: eight ranges each, and the base key, stay inside etcd's default 128 ops per txn. */
const CHUNK = 15;

export interface MaintenanceSummary {
  scanned: number;
  reconciled: number;
  deleted: number;
  durationMs: number;
}

interface Cursor {
  /** Last key examined by each scan; "" starts from the beginning. */
  ephemerals: string;
  expiring: string;
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** Up to `limit` keys of `range` after `after`, as paths, and where the next run starts. */
async function page(ctx: Ctx, range: Range, after: string, limit: number, pathOf: (key: string) => string): Promise<{ paths: string[]; next: string }> {
  const key = after === "" ? range.key : after + "\0";
  const resp = await ctx.etcd.txn({ success: [{ range: { key, rangeEnd: range.rangeEnd, keysOnly: true, limit } }] });
  const r = resp.responses[0]!;
  const kvs = "range" in r ? r.range.kvs : [];
  const more = "range" in r && r.range.more;
  return { paths: kvs.map((kv) => pathOf(kv.key)), next: more ? kvs[kvs.length - 1]!.key : "" };
}

function chunks<T>(xs: T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}

export async function runMaintenance(ctx: Ctx): Promise<MaintenanceSummary> {
  const started = ctx.now();
  const { keys } = ctx;
  const loaded = await ctx.etcd.txn({ success: [{ range: { key: keys.cursor() } }] });
  const first = loaded.responses[0]!;
  const stored = "range" in first ? first.range.kvs[0] : undefined;
  const cursor: Cursor = stored ? JSON.parse(decoder.decode(stored.value)) : { ephemerals: "", expiring: "" };
  const limit = ctx.config.scheduleBatch;

  // Elist entries, in key order, come grouped by parent. Reading a parent
  // reconciles it (settle.ts).
  const entries = await page(ctx, keys.allElistEntries(), cursor.ephemerals, limit, (k) => parentOf(keys.elistEntryPath(k)));
  const parents = [...new Set(entries.paths)];
  for (const chunk of chunks(parents, CHUNK)) await readSettled(ctx, { paths: chunk });

  const expiring = await page(ctx, keys.allExpiring(), cursor.expiring, limit, (k) => keys.expiringPath(k));
  let deleted = 0;
  for (const chunk of chunks(expiring.paths, CHUNK)) {
    const snap = await readSettled(ctx, { paths: chunk });
    for (const path of chunk) {
      const node = snap.nodes.get(path);
      if (!node || node.numChildren > 0) continue;
      // ContainerManager: a container that has had a child; a TTL node unchanged for its TTL.
      const due = node.kind === "container" ? node.seq > 0 : ctx.now() - node.mtime > node.ttlMs;
      if (!due) continue;
      try {
        await transact(ctx, [{ op: "deleteContainer", path }]);
        deleted++;
      } catch (e) {
        // A child arrived meanwhile: ZooKeeper's deleteContainer fails the same way.
        if (!(e instanceof ZkError)) throw e;
      }
    }
  }

  const next: Cursor = { ephemerals: entries.next, expiring: expiring.next };
  if (next.ephemerals !== cursor.ephemerals || next.expiring !== cursor.expiring) await saveCursor(ctx, next);
  return { scanned: entries.paths.length + expiring.paths.length, reconciled: ctx.reconciledParents, deleted, durationMs: ctx.now() - started };
}

/** The cursor is not a ZooKeeper txn: it moves the zxid offset (offset.ts). */
async function saveCursor(ctx: Ctx, cursor: Cursor): Promise<void> {
  const snap = await readSettled(ctx, {});
  // Losing the race to another run is fine: that run saved a cursor of its own.
  await commitExtraWrite(ctx, snap.base!, [], [{ put: { key: ctx.keys.cursor(), value: encoder.encode(JSON.stringify(cursor)) } }]);
}
