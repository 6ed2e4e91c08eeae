// The front door (zkwire/) as a side of a comparison: driven by the same
// wire client, with the same client-side checks, as the real ZooKeeper
// (zk-side.ts), so any difference is the server's. Its scheduled job (which
// reaps containers and TTL nodes) runs when a scenario asks for a reap.
import { configFrom } from "../../lib/config.js";
import type { Etcd } from "../../lib/etcd/types.js";
import { runScheduled } from "../../scheduled/index.js";
import { startZkServer, type ZkServer } from "../../zkwire/server.js";
import { SERVICE_VARS } from "./harness.js";
import type { Op } from "./ops.js";
import type { NResult } from "./normalize.js";
import { ZkSide } from "./zk-side.js";

export class FrontDoorSide extends ZkSide {
  constructor(
    port: number,
    private readonly cron: () => Promise<void>,
  ) {
    super(port, undefined, "frontdoor");
  }

  override async run(actor: string, op: Op): Promise<NResult> {
    if (op.op !== "reap") return super.run(actor, op);
    await this.cron();
    return { code: "OK", zxid: await this.lastZxid() };
  }
}

/** A front door on `etcd` under `prefix`, configured as the comparisons configure the service. */
export async function frontDoor(etcd: Etcd, prefix: string): Promise<{ server: ZkServer; side(): FrontDoorSide }> {
  const vars = { ...SERVICE_VARS, ZK_PREFIX: prefix, ETCD_ENDPOINTS: "http://unused" };
  const server = await startZkServer({ config: configFrom(vars), etcd, port: 0 });
  const cron = async () => {
    const log = console.log;
    console.log = () => undefined;
    try {
      await runScheduled(etcd, vars);
    } finally {
      console.log = log;
    }
  };
  return { server, side: () => new FrontDoorSide(server.port, cron) };
}
