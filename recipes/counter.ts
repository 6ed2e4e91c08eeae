// A distributed counter (kazoo's Counter, Curator's DistributedAtomicLong):
// the value is the node's data, as decimal text (readable with `zk get`), and
// each change is a compare-and-set on the node's version: read value and
// version, write the new value conditional on that version, and on
// BADVERSION (someone else got there first) read again and retry. Values are
// bigint, so any int64 and beyond count exactly.
import { BadVersionError, NodeExistsError, NoNodeError, toText, type ZkClient } from "../client/index.js";

export interface CounterChange {
  before: bigint;
  after: bigint;
  /** The zxid of the write that made the change: changes are totally ordered by it. */
  zxid: bigint;
}

export class DistributedCounter {
  constructor(
    private readonly client: ZkClient,
    readonly path: string,
    /** The value of a counter whose node does not exist yet. */
    readonly initial: bigint = 0n,
  ) {}

  async get(): Promise<bigint> {
    return (await this.read()).value;
  }

  /**
   * Adds `delta` (negative to subtract) and tells the value before and after.
   * A write whose answer was lost and could not be checked (the client's
   * ConnectionLossError with outcomeUnknown) is thrown, never retried: the
   * increment may have been applied.
   */
  async add(delta: bigint | number): Promise<CounterChange> {
    const d = BigInt(delta);
    return this.update((v) => v + d);
  }

  /** Sets the value, whatever it was. */
  async set(value: bigint | number): Promise<CounterChange> {
    const v = BigInt(value);
    return this.update(() => v);
  }

  /** Applies `f` to the value atomically (retried under contention; `f` may run several times). */
  async update(f: (value: bigint) => bigint): Promise<CounterChange> {
    for (let attempt = 0; ; attempt++) {
      const { value, version } = await this.read();
      const after = f(value);
      try {
        if (version === undefined) {
          const created = await this.client.create(this.path, { data: after.toString(), parents: true });
          return { before: value, after, zxid: created.stat.czxid };
        }
        const stat = await this.client.setData(this.path, after.toString(), version);
        return { before: value, after, zxid: stat.mzxid };
      } catch (e) {
        if (!(e instanceof BadVersionError || e instanceof NodeExistsError || e instanceof NoNodeError)) throw e;
        // Lost the race: back off a random while (as Curator's retry policy does), so that
        // contenders spread out instead of colliding again at once.
        await new Promise((r) => setTimeout(r, Math.random() * Math.min(200, 5 * 2 ** attempt)));
      }
    }
  }

  private async read(): Promise<{ value: bigint; version?: number }> {
    try {
      const { data, stat } = await this.client.getData(this.path);
      const text = toText(data).trim();
      if (text === "") return { value: this.initial, version: stat.version };
      if (!/^-?\d+$/.test(text)) throw new TypeError(`${this.path} does not hold a counter: ${JSON.stringify(text.slice(0, 40))}`);
      return { value: BigInt(text), version: stat.version };
    } catch (e) {
      if (e instanceof NoNodeError) return { value: this.initial };
      throw e;
    }
  }
}
