// Concurrent reads share etcd round trips. Every read-only txn (ranges only,
// no compares) that arrives while earlier reads are on their way waits for
// one of them to come back, then goes out together with the others that
// waited, as one txn. At low load nothing waits; under load a round trip
// carries many reads, so reads can outrun one-txn-per-read.
//
// Each read stays linearizable: the shared txn is sent after every read in it
// was asked for, so it sees everything acknowledged before any of them. A
// response's ranges are handed back to the reads they belong to; the header
// revision is the shared txn's, the same for all.
import { EtcdUnavailableError } from "./errors.js";
import type { RequestOp, TxnRequest, TxnResponse } from "./types.js";

interface Waiting {
  ops: RequestOp[];
  resolve(res: TxnResponse): void;
  reject(e: unknown): void;
}

export interface CoalesceOptions {
  /** Ops one etcd txn may hold (the cluster's --max-txn-ops). */
  maxOps: number;
  /** Shared read txns on their way at once; a read waits only when this many are. */
  inFlight: number;
}

/** Whether `req` only reads: then it may share a txn with other reads. */
export function readOnly(req: TxnRequest): boolean {
  return (req.compare ?? []).length === 0 && (req.failure ?? []).length === 0 && (req.success ?? []).every((o) => "range" in o);
}

/** A txn function that sends read-only txns together; `send` sends one txn. */
export function coalescer(send: (req: TxnRequest) => Promise<TxnResponse>, opts: CoalesceOptions): (req: TxnRequest) => Promise<TxnResponse> {
  const queue: Waiting[] = [];
  let flying = 0;

  function next(): void {
    while (flying < opts.inFlight && queue.length > 0) {
      // As many waiting reads as fit one txn; a read larger than that goes alone.
      const batch: Waiting[] = [queue.shift()!];
      let ops = batch[0]!.ops.length;
      while (queue.length > 0 && ops + queue[0]!.ops.length <= opts.maxOps) {
        ops += queue[0]!.ops.length;
        batch.push(queue.shift()!);
      }
      flying++;
      void run(batch).finally(() => {
        flying--;
        next();
      });
    }
  }

  async function run(batch: Waiting[]): Promise<void> {
    if (batch.length === 1) {
      const [only] = batch as [Waiting];
      await send({ success: only.ops }).then(only.resolve, only.reject);
      return;
    }
    let res: TxnResponse;
    try {
      res = await send({ success: batch.flatMap((w) => w.ops) });
    } catch (e) {
      if (e instanceof EtcdUnavailableError) {
        for (const w of batch) w.reject(e);
        return;
      }
      // One read can spoil a shared txn (a compacted revision, an answer over
      // the message size limit): each then goes alone and meets its own fate.
      await Promise.all(batch.map((w) => send({ success: w.ops }).then(w.resolve, w.reject)));
      return;
    }
    let at = 0;
    for (const w of batch) {
      w.resolve({ revision: res.revision, succeeded: res.succeeded, responses: res.responses.slice(at, at + w.ops.length) });
      at += w.ops.length;
    }
  }

  return (req) =>
    new Promise<TxnResponse>((resolve, reject) => {
      queue.push({ ops: req.success ?? [], resolve, reject });
      next();
    });
}
