// The watch events a ZooKeeper txn fires, in DataTree's order. A multi stores
// only its net effect, which can hide events (a node set and then deleted
// looks deleted; one created and deleted left no trace), so a txn of several
// ops records the events it fired (keys.ts: m/events), and watches read that
// record at its revision. A txn of one op needs no record: its effect is its
// event.
import { parentOf } from "./path.js";
import type { EventType, Fired, WriteResult } from "./model.js";

export function created(path: string): Fired[] {
  return [
    { table: "data", type: "NodeCreated", path },
    { table: "child", type: "NodeChildrenChanged", path: parentOf(path) },
  ];
}

export function deleted(path: string): Fired[] {
  return [
    { table: "both", type: "NodeDeleted", path },
    { table: "child", type: "NodeChildrenChanged", path: parentOf(path) },
  ];
}

export function dataChanged(path: string): Fired[] {
  return [{ table: "data", type: "NodeDataChanged", path }];
}

/** The events of a txn's ops, in op order. */
export function firedBy(results: WriteResult[]): Fired[] {
  return results.flatMap((r): Fired[] => {
    switch (r.op) {
      case "create":
        return created(r.path);
      case "delete":
      case "reapEphemeral":
      case "deleteContainer":
        return deleted(r.path);
      case "setData":
        return dataChanged(r.path);
      case "check":
      case "setACL":
        return [];
    }
  });
}

/** The first event that a watch set in `table` on `path` hears, if any. */
export function firstIn(fired: Fired[], table: "data" | "child", path: string): EventType | undefined {
  return fired.find((f) => f.path === path && (f.table === table || f.table === "both"))?.type;
}
