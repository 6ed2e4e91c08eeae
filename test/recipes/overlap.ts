// The check behind every "no two holders overlap" assertion: each holding is
// the zxids of the writes its holder made while it believed it held; in zxid
// order (the service's one total order of writes) the spans of holdings are
// compared, so the check never depends on wall-clock time.
import { expect } from "vitest";

/** A holding as the log saw it: the zxids of writes made while holding. */
export interface Holding {
  who: string;
  zxids: bigint[];
}

interface Span {
  who: string;
  from: bigint;
  to: bigint;
}

const cmp = (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0);

function span(h: Holding): Span {
  if (h.zxids.length === 0) throw new Error(`${h.who} wrote nothing while holding: its holding proves nothing`);
  const sorted = [...h.zxids].sort(cmp);
  return { who: h.who, from: sorted[0]!, to: sorted[sorted.length - 1]! };
}

/**
 * The most holdings whose spans (first to last write zxid, inclusive) cover
 * one zxid, and the holders at that point.
 */
export function peakConcurrency(holdings: Holding[]): { peak: number; at: string[] } {
  const spans = holdings.map(span);
  let best: { peak: number; at: string[] } = { peak: 0, at: [] };
  // The peak is reached at some span's start.
  for (const s of spans) {
    const covering = spans.filter((o) => o.from <= s.from && s.from <= o.to);
    if (covering.length > best.peak) best = { peak: covering.length, at: covering.map((o) => `${o.who} [${o.from}, ${o.to}]`) };
  }
  return best;
}

/** No two holdings overlap in zxid order; and there were `count` of them. */
export function expectNoOverlap(holdings: Holding[], count: number): void {
  expectAtMostConcurrent(holdings, 1, count);
}

/** At no zxid did more than `limit` holdings overlap; and there were `count` of them. */
export function expectAtMostConcurrent(holdings: Holding[], limit: number, count: number): void {
  expect(holdings).toHaveLength(count);
  const { peak, at } = peakConcurrency(holdings);
  expect(peak, `overlapping holdings: ${at.join(", ")}`).toBeLessThanOrEqual(limit);
}

/** Each exclusive holding overlaps no other holding (shared ones may overlap each other). */
export function expectExclusive(exclusive: Holding[], all: Holding[]): void {
  for (const x of exclusive) {
    for (const o of all) {
      if (o === x) continue;
      const { peak, at } = peakConcurrency([x, o]);
      expect(peak, `overlapping holdings: ${at.join(", ")}`).toBe(1);
    }
  }
}
