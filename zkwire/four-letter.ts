// ZooKeeper's four-letter words: a connection whose first four bytes are one
// gets a text answer and is closed.
import os from "node:os";
import type { Config } from "../lib/config.js";
import { Ctx } from "../lib/context.js";
import type { Etcd } from "../lib/etcd/types.js";
import { liveSessions } from "../lib/sessions.js";
import { serviceStats } from "../lib/stats.js";
import type { ServerStats } from "./stats.js";
import type { WatchHub } from "./watches.js";

/** The ZooKeeper release whose protocol this server speaks, as srvr and mntr name it. */
export const VERSION = "3.8.4-zk-etcd, built on 1970-01-01 00:00 UTC";

export const FOUR_LETTER_WORDS = new Set(["ruok", "srvr", "stat", "mntr", "conf", "envi", "dump", "isro"]);

export interface FourLetterDeps {
  config: Config;
  etcd: Etcd;
  hub: WatchHub;
  stats: ServerStats;
  /** The port clients connect to (conf's clientPort). */
  port?: number;
}

const hex = (n: bigint) => `0x${n.toString(16)}`;

/**
 * Words that tell more than up or down (clients, session ids, configuration,
 * the host's environment). A four-letter word carries no credentials, so these
 * are answered only where anonymous callers are served, as ZooKeeper keeps
 * them out of its default 4lw.commands.whitelist.
 */
const REVEALING = new Set(["stat", "mntr", "conf", "envi", "dump"]);

export async function answerFourLetterWord(word: string, deps: FourLetterDeps): Promise<string> {
  const { config, stats } = deps;
  if (REVEALING.has(word) && !config.allowAnonymous) return `${word} is not executed because it is not in the whitelist.\n`;
  const ctx = () => new Ctx(deps.etcd, config);
  switch (word) {
    case "ruok":
      return "imok";
    case "isro":
      return "rw";
    case "srvr":
    case "stat": {
      const s = await serviceStats(ctx());
      const lines = [`Zookeeper version: ${VERSION}`];
      if (word === "stat") {
        lines.push("Clients:");
        for (const c of stats.connections) lines.push(` /${c.remote}[1](queued=${c.outstanding},recved=${c.received},sent=${c.sent})`);
        lines.push("");
      }
      lines.push(
        `Latency min/avg/max: ${stats.min}/${stats.avg.toFixed(4)}/${stats.max}`,
        `Received: ${stats.received}`,
        `Sent: ${stats.sent}`,
        `Connections: ${stats.connections.size}`,
        `Outstanding: ${stats.outstanding}`,
        `Zxid: ${hex(s.lastZxid)}`,
        "Mode: standalone",
        `Node count: ${s.znodeCount}`,
      );
      return lines.join("\n") + "\n";
    }
    case "mntr": {
      const s = await serviceStats(ctx());
      const rows: [string, string | number | bigint][] = [
        ["zk_version", VERSION],
        ["zk_server_state", "standalone"],
        ["zk_avg_latency", stats.avg.toFixed(4)],
        ["zk_max_latency", stats.max],
        ["zk_min_latency", stats.min],
        ["zk_packets_received", stats.received],
        ["zk_packets_sent", stats.sent],
        ["zk_num_alive_connections", stats.connections.size],
        ["zk_outstanding_requests", stats.outstanding],
        ["zk_znode_count", s.znodeCount],
        ["zk_watch_count", deps.hub.watchCount],
        ["zk_ephemerals_count", s.ephemeralCount],
        ["zk_global_sessions", s.liveSessions],
        ["zk_last_zxid", s.lastZxid],
        // This service's own: etcd round trips and pending expiry repairs.
        ["zk_etcd_pending_reconciliations", s.pendingReconciliations],
        ["zk_etcd_non_zookeeper_writes", s.nonZooKeeperWrites],
        ...Object.entries(s.etcdRoundTrips).map(([k, v]): [string, number] => [`zk_etcd_round_trips_${k}`, v]),
      ];
      return rows.map(([k, v]) => `${k}\t${v}`).join("\n") + "\n";
    }
    case "conf":
      return (
        [
          `clientPort=${deps.port ?? -1}`,
          "secureClientPort=-1",
          `tickTime=${config.tickTimeMs}`,
          `maxClientCnxns=${config.maxClientCnxns}`,
          `minSessionTimeout=${config.minSessionTimeoutMs}`,
          `maxSessionTimeout=${config.maxSessionTimeoutMs}`,
          "serverId=0",
          `etcdEndpoints=${config.etcdEndpoints.join(",")}`,
          `prefix=${config.prefix}`,
        ].join("\n") + "\n"
      );
    case "envi":
      return (
        [
          "Environment:",
          `zookeeper.version=${VERSION}`,
          `host.name=${os.hostname()}`,
          `node.version=${process.version}`,
          `os.name=${os.type()}`,
          `os.arch=${os.arch()}`,
          `os.version=${os.release()}`,
          `user.name=${os.userInfo().username}`,
          `user.dir=${process.cwd()}`,
          `os.memory.free=${Math.floor(os.freemem() / 2 ** 20)}MB`,
          `os.memory.total=${Math.floor(os.totalmem() / 2 ** 20)}MB`,
        ].join("\n") + "\n"
      );
    case "dump": {
      const ids = await liveSessions(ctx());
      return ["SessionTracker dump:", `Global Sessions(${ids.length}):`, ...ids.map(hex), ""].join("\n");
    }
    default:
      return "";
  }
}
