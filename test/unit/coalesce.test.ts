// lib/etcd/coalesce.ts: reads that arrive while others are on their way share
// one txn, each gets back exactly its own ranges, writes never wait, and a
// shared txn that fails does not fail reads that would succeed alone.
import { describe, expect, test } from "vitest";
import { coalescer, readOnly } from "../../lib/etcd/coalesce.js";
import { EtcdCompactedError, EtcdUnavailableError } from "../../lib/etcd/errors.js";
import type { RangeResponse, RequestOp, TxnRequest, TxnResponse } from "../../lib/etcd/types.js";

/** A fake etcd whose answers the test releases by hand: it records every txn sent. */
function fakeEtcd(fail?: (req: TxnRequest) => Error | undefined) {
  const sent: TxnRequest[] = [];
  const pending: (() => void)[] = [];
  let revision = 100n;
  const send = (req: TxnRequest) =>
    new Promise<TxnResponse>((resolve, reject) => {
      sent.push(req);
      pending.push(() => {
        const error = fail?.(req);
        if (error) return reject(error);
        // Each range answers with a kv named after its key, so a mix-up shows.
        const responses = (req.success ?? []).map((op) => {
          const key = "range" in op ? op.range.key : "?";
          const kv = { key, value: new Uint8Array(), createRevision: 1n, modRevision: 1n, version: 1n, lease: 0n };
          return { range: { kvs: [kv], count: 1n, more: false } as RangeResponse };
        });
        resolve({ revision: ++revision, succeeded: true, responses });
      });
    });
  const release = async () => {
    const now = pending.splice(0);
    now.forEach((f) => f());
    // Let the answers and the next sends run.
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  };
  return { sent, send, release };
}

const read = (...keys: string[]): TxnRequest => ({ success: keys.map((key): RequestOp => ({ range: { key } })) });
const keysOf = (res: TxnResponse) => res.responses.map((r) => ("range" in r ? r.range.kvs[0]!.key : "?"));

describe("readOnly", () => {
  test("ranges alone are a read; a put, a compare or a failure branch is not", () => {
    expect(readOnly(read("a", "b"))).toBe(true);
    expect(readOnly({ success: [{ put: { key: "a", value: new Uint8Array() } }] })).toBe(false);
    expect(readOnly({ compare: [{ key: "a", target: "version", result: "equal", value: 0n }], success: [{ range: { key: "a" } }] })).toBe(false);
    expect(readOnly({ success: [{ range: { key: "a" } }], failure: [{ range: { key: "b" } }] })).toBe(false);
  });
});

describe("coalescer", () => {
  test("a read with nothing on its way goes at once, alone", async () => {
    const etcd = fakeEtcd();
    const txn = coalescer(etcd.send, { maxOps: 128, inFlight: 1 });
    const answer = txn(read("a"));
    expect(etcd.sent).toHaveLength(1);
    await etcd.release();
    expect(keysOf(await answer)).toEqual(["a"]);
  });

  test("reads that wait share one txn, and each gets its own ranges in order, at one revision", async () => {
    const etcd = fakeEtcd();
    const txn = coalescer(etcd.send, { maxOps: 128, inFlight: 1 });
    const first = txn(read("a"));
    const waiting = [txn(read("b", "c")), txn(read("d")), txn(read("e", "f", "g"))];
    expect(etcd.sent).toHaveLength(1);
    await etcd.release();
    expect(etcd.sent).toHaveLength(2);
    expect(etcd.sent[1]!.success).toHaveLength(6);
    await etcd.release();
    const answers = await Promise.all(waiting);
    expect(answers.map(keysOf)).toEqual([["b", "c"], ["d"], ["e", "f", "g"]]);
    expect(new Set(answers.map((a) => a.revision)).size).toBe(1);
    expect(keysOf(await first)).toEqual(["a"]);
  });

  test("a shared txn stays within maxOps; the rest go in the next", async () => {
    const etcd = fakeEtcd();
    const txn = coalescer(etcd.send, { maxOps: 4, inFlight: 1 });
    void txn(read("x"));
    const waiting = [txn(read("a", "b")), txn(read("c", "d")), txn(read("e"))];
    await etcd.release();
    expect(etcd.sent[1]!.success).toHaveLength(4);
    await etcd.release();
    expect(etcd.sent[2]!.success).toHaveLength(1);
    await etcd.release();
    expect((await Promise.all(waiting)).map(keysOf)).toEqual([["a", "b"], ["c", "d"], ["e"]]);
  });

  test("inFlight bounds the shared txns on their way at once", async () => {
    const etcd = fakeEtcd();
    const txn = coalescer(etcd.send, { maxOps: 128, inFlight: 2 });
    const all = [txn(read("a")), txn(read("b")), txn(read("c")), txn(read("d"))];
    expect(etcd.sent).toHaveLength(2);
    await etcd.release();
    expect(etcd.sent).toHaveLength(3);
    expect(etcd.sent[2]!.success).toHaveLength(2);
    await etcd.release();
    expect((await Promise.all(all)).map(keysOf)).toEqual([["a"], ["b"], ["c"], ["d"]]);
  });

  test("a read one member spoils (compacted history) fails alone; the others it waited with succeed", async () => {
    const etcd = fakeEtcd((req) => ((req.success ?? []).some((o) => "range" in o && o.range.key === "old") ? new EtcdCompactedError("compacted") : undefined));
    const txn = coalescer(etcd.send, { maxOps: 128, inFlight: 1 });
    void txn(read("first"));
    const good = txn(read("a"));
    const bad = txn(read("old"));
    const badOutcome = expect(bad).rejects.toBeInstanceOf(EtcdCompactedError);
    await etcd.release(); // the first
    await etcd.release(); // the shared one fails; each goes alone
    await etcd.release();
    expect(keysOf(await good)).toEqual(["a"]);
    await badOutcome;
  });

  test("etcd unavailable fails every read of the shared txn without sending each again", async () => {
    const etcd = fakeEtcd((req) => ((req.success ?? []).length > 1 ? new EtcdUnavailableError("down") : undefined));
    const txn = coalescer(etcd.send, { maxOps: 128, inFlight: 1 });
    void txn(read("first"));
    const both = [txn(read("a")), txn(read("b"))].map((p) => expect(p).rejects.toBeInstanceOf(EtcdUnavailableError));
    await etcd.release();
    await etcd.release();
    await Promise.all(both);
    expect(etcd.sent).toHaveLength(2);
  });
});
