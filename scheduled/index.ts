// The cron entry: the Worker's scheduled handler and the Node server's interval
// both run this job against the same etcd. Runs may overlap; every write it
// makes is a guarded transaction, so two runs never both apply.
import { configFrom, type ConfigVars } from "../lib/config.js";
import { Ctx } from "../lib/context.js";
import type { Etcd } from "../lib/etcd/types.js";
import { runMaintenance } from "../lib/maintenance.js";

export async function runScheduled(etcd: Etcd, vars: ConfigVars): Promise<void> {
  const ctx = new Ctx(etcd, configFrom(vars));
  const summary = await runMaintenance(ctx);
  console.log(`scheduled: scanned ${summary.scanned}, reconciled ${summary.reconciled}, deleted ${summary.deleted}, ${summary.durationMs} ms`);
}
