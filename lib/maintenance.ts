// The scheduled pass over the tree, in bounded batches.
import type { Ctx } from "./context.js";
import { serviceStats } from "./stats.js";

export interface MaintenanceSummary {
  durationMs: number;
  znodes: number;
  ephemerals: number;
  sessions: number;
  lastZxid: string;
}

/**
 * This version's pass only takes the measure of the tree (one round trip);
 * reconciling expired ephemerals' parents and removing containers and TTL
 * nodes are not implemented yet.
 */
export async function runMaintenance(ctx: Ctx): Promise<MaintenanceSummary> {
  const started = ctx.now();
  const s = await serviceStats(ctx);
  return {
    durationMs: ctx.now() - started,
    znodes: s.znodeCount,
    ephemerals: s.ephemeralCount,
    sessions: s.liveSessions,
    lastZxid: s.lastZxid.toString(),
  };
}
