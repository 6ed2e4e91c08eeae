// A read-write lock (Curator's InterProcessReadWriteLock, kazoo's ReadLock and
// WriteLock): readers and writers queue in one directory. A writer waits for
// the node just in front of it, whatever its kind; a reader waits only for
// the last writer in front of it, so readers share the lock and a writer that
// queued before them is never starved by later readers.
import type { ZkClient } from "../client/index.js";
import type { Blocker, WaitOptions } from "./contenders.js";
import type { Hold, HoldOptions } from "./hold.js";
import { acquireSequential, contendersOf } from "./lock.js";
import { kindOf } from "./names.js";

const READ = "read-";
const WRITE = "write-";
const KINDS = [READ, WRITE] as const;

const writer: Blocker = (sorted, ours) => (ours === 0 ? undefined : sorted[ours - 1]);
const reader: Blocker = (sorted, ours) => {
  for (let i = ours - 1; i >= 0; i--) if (kindOf(sorted[i]!) === WRITE) return sorted[i];
  return undefined;
};

export class ReadWriteLock {
  readonly readLock: { acquire(options?: WaitOptions): Promise<Hold> };
  readonly writeLock: { acquire(options?: WaitOptions): Promise<Hold> };

  constructor(
    private readonly client: ZkClient,
    readonly path: string,
    options: HoldOptions = {},
  ) {
    this.readLock = { acquire: (w = {}) => acquireSequential(client, path, READ, KINDS, reader, w, options, `read lock ${path}`) };
    this.writeLock = { acquire: (w = {}) => acquireSequential(client, path, WRITE, KINDS, writer, w, options, `write lock ${path}`) };
  }

  /** Node names in queue order; `kindOf` tells a reader's from a writer's. */
  async contenders(): Promise<{ name: string; kind: "read" | "write" }[]> {
    return (await contendersOf(this.client, this.path, KINDS)).map((name) => ({ name, kind: kindOf(name) === READ ? "read" : "write" }));
  }
}
