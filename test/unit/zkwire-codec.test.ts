// Jute encoding (zkwire/codec.ts) and the request records of
// zkwire/protocol.ts: round trips, ZooKeeper's byte layouts, and refusals of
// truncated or impossible input.
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { Framer, MarshallingError, Reader, Writer } from "../../zkwire/codec.js";
import { modeOfFlags, OP, readConnectRequest, readMulti } from "../../zkwire/protocol.js";

describe("Writer and Reader", () => {
  test("ints, longs, booleans, buffers and strings in ZooKeeper's byte layout", () => {
    const bytes = new Writer(1).int(-2).long(0x1122334455667788n).bool(true).buffer(null).string("é").buffer(new Uint8Array([9])).done();
    expect([...bytes]).toEqual([
      0xff, 0xff, 0xff, 0xfe,
      0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
      1,
      0xff, 0xff, 0xff, 0xff,
      0, 0, 0, 2, 0xc3, 0xa9,
      0, 0, 0, 1, 9,
    ]);
    const r = new Reader(bytes);
    expect([r.int(), r.long(), r.bool(), r.buffer(), r.string(), [...r.buffer()!], r.left()]).toEqual([-2, 0x1122334455667788n, true, null, "é", [9], 0]);
  });

  test("a frame is the record with its length in front", () => {
    expect([...new Writer().int(7).frame()]).toEqual([0, 0, 0, 4, 0, 0, 0, 7]);
  });

  test("stats, ACLs and string vectors round-trip", () => {
    const stat = fc.record({
      czxid: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
      mzxid: fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }),
      ctime: fc.bigInt({ min: 0n, max: 2n ** 50n }),
      mtime: fc.bigInt({ min: 0n, max: 2n ** 50n }),
      version: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
      cversion: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
      aversion: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      ephemeralOwner: fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }),
      dataLength: fc.nat(),
      numChildren: fc.nat(),
      pzxid: fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }),
    });
    const acl = fc.array(fc.record({ perms: fc.integer({ min: 0, max: 31 }), scheme: fc.string(), id: fc.string() }));
    fc.assert(
      fc.property(stat, acl, fc.array(fc.string()), (s, a, names) => {
        const r = new Reader(new Writer(8).stat(s).acl(a).strings(names).done());
        expect([r.stat(), r.acl(), r.strings(), r.left()]).toEqual([s, a, names, 0]);
      }),
    );
  });

  test("truncated records and impossible vector counts are MarshallingErrors", () => {
    expect(() => new Reader(Buffer.from([0, 0, 0])).int()).toThrow(MarshallingError);
    expect(() => new Reader(Buffer.from([0, 0, 0, 5, 1, 2])).buffer()).toThrow(MarshallingError);
    expect(() => new Reader(Buffer.from([0x7f, 0, 0, 0])).strings()).toThrow(MarshallingError);
    expect(new Reader(Buffer.from([0xff, 0xff, 0xff, 0xff])).strings()).toEqual([]);
  });
});

describe("Framer", () => {
  test("frames split anyhow across chunks come out whole, in order", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 8 }), fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1 }), (records, cuts) => {
        const stream = Buffer.concat(records.map((rec) => new Writer().raw(rec).frame()));
        const framer = new Framer(1000);
        const out: Buffer[] = [];
        let at = 0;
        for (let i = 0; at < stream.length; i++) {
          const n = cuts[i % cuts.length]!;
          out.push(...framer.push(stream.subarray(at, at + n)));
          at += n;
        }
        expect(out.map((b) => [...b])).toEqual(records.map((rec) => [...rec]));
        expect(framer.pending).toBe(0);
      }),
    );
  });

  test("a length beyond the limit, or negative, is refused before its bytes are awaited", () => {
    expect(() => new Framer(10).push(Buffer.from([0, 0, 0, 11]))).toThrow(MarshallingError);
    expect(() => new Framer(10).push(Buffer.from([0xff, 0xff, 0xff, 0xfe]))).toThrow(MarshallingError);
  });
});

describe("request records", () => {
  test("ConnectRequest, with and without the readOnly flag older clients leave out", () => {
    const body = new Writer().int(0).long(5n).int(30_000).long(0x10n).buffer(Buffer.alloc(16, 1));
    expect(readConnectRequest(new Reader(body.done()))).toMatchObject({ lastZxidSeen: 5n, timeoutMs: 30_000, sessionId: 16n, readOnly: false });
    expect(readConnectRequest(new Reader(body.bool(true).done())).readOnly).toBe(true);
  });

  test("a multi's ops until the header that says done", () => {
    const w = new Writer()
      .int(OP.create).bool(false).int(-1).string("/a").buffer(null).acl([{ perms: 31, scheme: "world", id: "anyone" }]).int(1)
      .int(OP.createTTL).bool(false).int(-1).string("/t").buffer(Buffer.from("x")).acl([]).int(5).long(1000n)
      .int(OP.check).bool(false).int(-1).string("/a").int(3)
      .int(OP.setData).bool(false).int(-1).string("/a").buffer(Buffer.from("y")).int(-1)
      .int(-1).bool(true).int(-1);
    const ops = readMulti(new Reader(w.done()));
    expect(ops.map((o) => o.type)).toEqual([OP.create, OP.createTTL, OP.check, OP.setData]);
    expect(ops[1]).toMatchObject({ create: { path: "/t", flags: 5, ttl: 1000n } });
    expect(() => readMulti(new Reader(new Writer().int(OP.ping).bool(false).int(-1).done()))).toThrow(MarshallingError);
  });

  test("create flags name ZooKeeper's create modes; others none", () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7, -1].map(modeOfFlags)).toEqual([
      "persistent",
      "ephemeral",
      "persistent_sequential",
      "ephemeral_sequential",
      "container",
      "persistent_with_ttl",
      "persistent_sequential_with_ttl",
      null,
      null,
    ]);
  });
});
