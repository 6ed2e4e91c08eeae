// The watch events a ZooKeeper txn fires (DataTree's triggerWatch calls), op by
// op. A multi stores only its net effect, which can hide the first event a
// watch would get (a node set and then deleted looks deleted), so a multi
// records the first event of each znode it touched (keys.ts: m/events) and a
// watch reads that record at the multi's revision.
import { parentOf } from "./path.js";
import type { WriteResult } from "./plan.js";

export type EventType = "NodeCreated" | "NodeDeleted" | "NodeDataChanged" | "NodeChildrenChanged";

/** Per watch table (data watches, set by getData and exists; child watches, by getChildren): path → first event. */
export interface FirstEvents {
  data: Record<string, EventType>;
  children: Record<string, EventType>;
}

export function firstEvents(results: WriteResult[]): FirstEvents {
  const out: FirstEvents = { data: {}, children: {} };
  const fire = (table: Record<string, EventType>, path: string, type: EventType) => {
    if (!(path in table)) table[path] = type;
  };
  for (const r of results) {
    switch (r.op) {
      case "create":
        fire(out.data, r.path, "NodeCreated");
        fire(out.children, parentOf(r.path), "NodeChildrenChanged");
        break;
      case "delete":
      case "reapEphemeral":
      case "deleteContainer":
        fire(out.data, r.path, "NodeDeleted");
        fire(out.children, r.path, "NodeDeleted");
        fire(out.children, parentOf(r.path), "NodeChildrenChanged");
        break;
      case "setData":
        fire(out.data, r.path, "NodeDataChanged");
        break;
      case "check":
      case "setACL":
        break;
    }
  }
  return out;
}
