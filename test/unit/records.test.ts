// lib/records.ts: what the service stores in etcd values. Every znode, counter
// and ACL is read back through these decoders, so a round trip must be exact
// for any content, including arbitrary bytes and int64 values beyond 2^53
// (revisions, session ids), which must never pass through a JS number. The
// zxid arithmetic (offset, resolution) is checked with such values too.
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import type { KeyValue } from "../../lib/etcd/types.js";
import { ZkError } from "../../lib/errors.js";
import { MAX_TTL_MS, type Fired } from "../../lib/model.js";
import {
  afterExtraWrite,
  decodeAcl,
  decodeBase,
  decodeCounter,
  decodeElistEntry,
  decodeEvents,
  decodeNode,
  encodeAcl,
  encodeBase,
  encodeCounter,
  encodeElistEntry,
  encodeEvents,
  encodeNode,
  LAYOUT,
  offsetOf,
  resolveZxid,
  type NodeRecord,
} from "../../lib/records.js";

const TWO_53 = 2n ** 53n;
const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The JSON header of an encoded node, as stored. */
function nodeHeaderText(value: Uint8Array): string {
  const len = new DataView(value.buffer, value.byteOffset, value.byteLength).getUint32(0);
  return decoder.decode(value.subarray(4, 4 + len));
}

const json = (value: Uint8Array) => JSON.parse(decoder.decode(value));

function kv(over: Partial<KeyValue> = {}): KeyValue {
  return { key: "t/m/base", value: new Uint8Array(), createRevision: 1n, modRevision: 1n, version: 1n, lease: 0n, ...over };
}

function record(over: Partial<NodeRecord> = {}): NodeRecord {
  return {
    kind: "persistent",
    owner: 0n,
    ttlMs: 0,
    version: 0,
    ctime: 1_700_000_000_000,
    mtime: 1_700_000_000_001,
    czxid: 5n,
    mzxid: 6n,
    off: 2n,
    data: new Uint8Array([1, 2, 3]),
    ...over,
  };
}

const int64 = fc.bigInt({ min: INT64_MIN, max: INT64_MAX });
const nonNegInt64 = fc.bigInt({ min: 0n, max: INT64_MAX });

const nodeRecord: fc.Arbitrary<NodeRecord> = fc.record({
  kind: fc.constantFrom("persistent", "ephemeral", "container", "ttl" as const),
  owner: int64,
  ttlMs: fc.integer({ min: 0, max: MAX_TTL_MS }),
  version: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  ctime: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  mtime: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  czxid: fc.option(nonNegInt64, { nil: null }),
  mzxid: fc.option(nonNegInt64, { nil: null }),
  off: nonNegInt64,
  data: fc.uint8Array({ maxLength: 300 }),
});

describe("node records", () => {
  test("round trip: every field, any bytes, int64s at full width", () => {
    fc.assert(
      fc.property(nodeRecord, (r) => {
        expect(decodeNode(encodeNode(r))).toEqual(r);
      }),
    );
  });

  test("every byte value survives, including ones that are not UTF-8 or look like JSON", () => {
    const data = new Uint8Array(256).map((_, i) => i);
    const back = decodeNode(encodeNode(record({ data })));
    expect(Array.from(back.data)).toEqual(Array.from(data));
    const jsonish = encoder.encode('{"k":"ephemeral"}\u0000]');
    expect(Array.from(decodeNode(encodeNode(record({ data: jsonish }))).data)).toEqual(Array.from(jsonish));
  });

  test("empty data decodes as empty", () => {
    expect(decodeNode(encodeNode(record({ data: new Uint8Array() }))).data.length).toBe(0);
  });

  test("layout: a 4-byte big-endian header length, the JSON header, then the data as is", () => {
    const data = encoder.encode("payload");
    const value = encodeNode(record({ data }));
    const headerLength = value.length - 4 - data.length;
    expect(Array.from(value.subarray(0, 4))).toEqual([0, 0, headerLength >> 8, headerLength & 0xff]);
    expect(() => JSON.parse(decoder.decode(value.subarray(4, 4 + headerLength)))).not.toThrow();
    expect(decoder.decode(value.subarray(4 + headerLength))).toBe("payload");
  });

  test("decodes a value that sits inside a larger buffer (as a transport may hand it over)", () => {
    fc.assert(
      fc.property(nodeRecord, fc.uint8Array({ minLength: 1, maxLength: 9 }), fc.uint8Array({ maxLength: 9 }), (r, before, after) => {
        const value = encodeNode(r);
        const big = new Uint8Array(before.length + value.length + after.length);
        big.set(before, 0);
        big.set(value, before.length);
        big.set(after, before.length + value.length);
        const view = big.subarray(before.length, before.length + value.length);
        expect(decodeNode(view)).toEqual(r);
      }),
    );
  });

  test("null zxids are left out of the header, and come back null", () => {
    const value = encodeNode(record({ czxid: null, mzxid: null }));
    const header = JSON.parse(nodeHeaderText(value));
    expect(header).not.toHaveProperty("cz");
    expect(header).not.toHaveProperty("mz");
    const back = decodeNode(value);
    expect(back.czxid).toBeNull();
    expect(back.mzxid).toBeNull();
  });

  test("zxid 0 is a zxid, not an absent one (the bootstrap's nodes have czxid 0)", () => {
    const back = decodeNode(encodeNode(record({ czxid: 0n, mzxid: 0n })));
    expect(back.czxid).toBe(0n);
    expect(back.mzxid).toBe(0n);
  });

  test("a node with only its mzxid resolved keeps the czxid null", () => {
    const back = decodeNode(encodeNode(record({ czxid: null, mzxid: 9n })));
    expect(back.czxid).toBeNull();
    expect(back.mzxid).toBe(9n);
  });

  test("ttlMs 0 is left out and reads back as 0; a TTL up to ZooKeeper's maximum is kept", () => {
    expect(JSON.parse(nodeHeaderText(encodeNode(record({ ttlMs: 0 }))))).not.toHaveProperty("t");
    expect(decodeNode(encodeNode(record({ ttlMs: 0 }))).ttlMs).toBe(0);
    expect(decodeNode(encodeNode(record({ kind: "ttl", ttlMs: MAX_TTL_MS }))).ttlMs).toBe(MAX_TTL_MS);
  });

  test("int64 fields are stored as decimal strings, exact beyond 2^53", () => {
    const r = record({ owner: INT64_MAX, czxid: TWO_53 + 1n, mzxid: TWO_53 + 3n, off: TWO_53 + 5n });
    const text = nodeHeaderText(encodeNode(r));
    expect(text).toContain(`"${INT64_MAX}"`);
    expect(text).toContain(`"${TWO_53 + 1n}"`);
    const back = decodeNode(encodeNode(r));
    expect(back.owner).toBe(INT64_MAX);
    expect(back.czxid).toBe(9007199254740993n);
    expect(back.mzxid).toBe(9007199254740995n);
    expect(back.off).toBe(9007199254740997n);
  });

  test("a negative session id as owner survives (ZooKeeper session ids are signed int64)", () => {
    expect(decodeNode(encodeNode(record({ kind: "ephemeral", owner: INT64_MIN }))).owner).toBe(INT64_MIN);
  });
});

describe("counter records", () => {
  test("round trip", () => {
    fc.assert(
      fc.property(fc.integer({ min: -1000, max: 1_000_000 }), nonNegInt64, fc.option(nonNegInt64, { nil: null }), (adj, off, pzxid) => {
        expect(decodeCounter(encodeCounter({ adj, off, pzxid }))).toEqual({ adj, off, pzxid });
      }),
    );
  });

  test("adj 0 and a null pzxid are left out", () => {
    const stored = json(encodeCounter({ adj: 0, off: 3n, pzxid: null }));
    expect(stored).toEqual({ off: "3" });
    expect(decodeCounter(encodeCounter({ adj: 0, off: 3n, pzxid: null }))).toEqual({ adj: 0, off: 3n, pzxid: null });
  });

  test("a pzxid of 0 is kept", () => {
    expect(decodeCounter(encodeCounter({ adj: 0, off: 0n, pzxid: 0n })).pzxid).toBe(0n);
  });

  test("exact beyond 2^53", () => {
    const r = { adj: 2, off: TWO_53 + 1n, pzxid: INT64_MAX };
    expect(decodeCounter(encodeCounter(r))).toEqual(r);
  });
});

describe("elist entries", () => {
  test("round trip of any int64 session id", () => {
    fc.assert(
      fc.property(int64, (s) => {
        expect(decodeElistEntry(encodeElistEntry(s))).toBe(s);
      }),
    );
  });

  test("exact at the int64 edges", () => {
    for (const s of [0n, 1n, TWO_53 + 1n, INT64_MAX, INT64_MIN]) expect(decodeElistEntry(encodeElistEntry(s))).toBe(s);
  });
});

describe("ACL records", () => {
  const aclEntry = fc.record({
    perms: fc.integer({ min: 0, max: 31 }),
    scheme: fc.constantFrom("world", "digest", "ip"),
    id: fc.string(),
  });

  test("round trip: entries in order, and the aversion", () => {
    fc.assert(
      fc.property(fc.array(aclEntry, { maxLength: 5 }), fc.integer({ min: 0, max: 2 ** 31 - 1 }), (acl, aversion) => {
        expect(decodeAcl(encodeAcl({ acl, aversion }))).toEqual({ acl, aversion });
      }),
    );
  });

  test("ids with separators and non-ASCII text survive", () => {
    const acl = [
      { perms: 31, scheme: "digest", id: "üser:D/InIHSb7yEEbrWz8b9l71RjZJU=" },
      { perms: 1, scheme: "ip", id: "10.0.0.0/8" },
    ];
    expect(decodeAcl(encodeAcl({ acl, aversion: 7 }))).toEqual({ acl, aversion: 7 });
  });
});

describe("event records", () => {
  const fired: fc.Arbitrary<Fired> = fc.record({
    table: fc.constantFrom("data", "child", "both" as const),
    type: fc.constantFrom("NodeCreated", "NodeDeleted", "NodeDataChanged", "NodeChildrenChanged" as const),
    path: fc.string({ minLength: 1 }).map((s) => `/${s}`),
  });

  test("round trip keeps every event and their order", () => {
    fc.assert(
      fc.property(fc.array(fired, { maxLength: 20 }), (events) => {
        expect(decodeEvents(encodeEvents(events))).toEqual(events);
      }),
    );
  });

  test("an empty list", () => {
    expect(decodeEvents(encodeEvents([]))).toEqual([]);
  });
});

describe("base record", () => {
  test("round trip, exact beyond 2^53", () => {
    fc.assert(
      fc.property(nonNegInt64, fc.integer({ min: 0, max: 1_000_000 }), (extra, compactedFallbacks) => {
        expect(decodeBase(encodeBase({ extra, compactedFallbacks }))).toEqual({ extra, compactedFallbacks });
      }),
    );
  });

  test("names the layout it was written in", () => {
    expect(json(encodeBase({ extra: 0n, compactedFallbacks: 0 })).layout).toBe(LAYOUT);
  });

  test.each([
    ["an older layout", { layout: LAYOUT - 1, extra: "0" }],
    ["a newer layout", { layout: LAYOUT + 1, extra: "0" }],
    ["no layout (the first one wrote none)", { extra: "0" }],
  ])("%s is refused with SYSTEMERROR", (_why, stored) => {
    let caught: unknown;
    try {
      decodeBase(encoder.encode(JSON.stringify(stored)));
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ZkError);
    expect((caught as ZkError).code).toBe("SYSTEMERROR");
  });

  test("afterExtraWrite counts one more extra write, exactly, and adds the fallbacks", () => {
    const base = { extra: TWO_53 + 1n, compactedFallbacks: 3 };
    expect(decodeBase(afterExtraWrite(base))).toEqual({ extra: 9007199254740994n, compactedFallbacks: 3 });
    expect(decodeBase(afterExtraWrite(base, 2))).toEqual({ extra: 9007199254740994n, compactedFallbacks: 5 });
    expect(decodeBase(afterExtraWrite({ extra: INT64_MAX - 1n, compactedFallbacks: 0 }))).toEqual({ extra: INT64_MAX, compactedFallbacks: 0 });
  });

  test("afterExtraWrite leaves the record it was given alone", () => {
    const base = { extra: 4n, compactedFallbacks: 1 };
    afterExtraWrite(base, 1);
    expect(base).toEqual({ extra: 4n, compactedFallbacks: 1 });
  });
});

describe("zxid arithmetic", () => {
  test("the offset is the base key's create revision plus the extra writes since", () => {
    const base = kv({ createRevision: 7n, value: encodeBase({ extra: 3n, compactedFallbacks: 0 }) });
    expect(offsetOf(base)).toBe(10n);
  });

  test.each([
    // Chosen so that a trip through doubles would round to a different sum.
    [TWO_53 + 1n, 1n, 9007199254740994n],
    [5n, TWO_53 + 1n, 9007199254740998n],
    [TWO_53 + 1n, TWO_53 + 1n, 18014398509481986n],
  ])("the offset is exact beyond 2^53: create revision %s + %s extra writes", (createRevision, extra, offset) => {
    const base = kv({ createRevision, value: encodeBase({ extra, compactedFallbacks: 0 }) });
    expect(offsetOf(base)).toBe(offset);
  });

  test("the offset refuses a base record of another layout", () => {
    const base = kv({ value: encoder.encode(JSON.stringify({ layout: LAYOUT + 1, extra: "0" })) });
    expect(() => offsetOf(base)).toThrow(ZkError);
  });

  test("a null zxid field resolves to the key's mod revision minus the offset it was written under", () => {
    expect(resolveZxid(null, kv({ modRevision: 25n }), 10n)).toBe(15n);
  });

  test("resolution is exact beyond 2^53", () => {
    expect(resolveZxid(null, kv({ modRevision: 2n ** 62n + 7n }), 5n)).toBe(4611686018427387906n);
    expect(resolveZxid(null, kv({ modRevision: TWO_53 + 1n }), 0n)).toBe(9007199254740993n);
  });

  test("a stored zxid is taken as is, even 0, whatever the key's revision", () => {
    expect(resolveZxid(42n, kv({ modRevision: 1000n }), 10n)).toBe(42n);
    expect(resolveZxid(0n, kv({ modRevision: 1000n }), 10n)).toBe(0n);
    expect(resolveZxid(INT64_MAX, kv({ modRevision: 1n }), 0n)).toBe(INT64_MAX);
  });

  test("a record written under one offset resolves to its own zxid", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 2n ** 60n }), fc.bigInt({ min: 0n, max: 2n ** 60n }), (off, zxid) => {
        const value = encodeNode(record({ czxid: null, mzxid: null, off }));
        const stored = decodeNode(value);
        const at = kv({ modRevision: zxid + off, value });
        expect(resolveZxid(stored.czxid, at, stored.off)).toBe(zxid);
      }),
    );
  });
});
