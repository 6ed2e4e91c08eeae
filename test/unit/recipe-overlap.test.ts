// The zxid-interval check the recipe tests rely on must be able to fail.
import { describe, expect, test } from "vitest";
import { expectNoOverlap, peakConcurrency } from "../recipes/overlap.js";

describe("peakConcurrency", () => {
  test("disjoint spans never overlap, whatever order they are logged in", () => {
    const h = [
      { who: "b", zxids: [10n, 12n, 11n] },
      { who: "a", zxids: [3n, 9n] },
      { who: "c", zxids: [13n] },
    ];
    expect(peakConcurrency(h).peak).toBe(1);
    expectNoOverlap(h, 3);
  });

  test("a span that starts inside another, or shares its last zxid, overlaps", () => {
    expect(peakConcurrency([{ who: "a", zxids: [3n, 9n] }, { who: "b", zxids: [5n, 20n] }]).peak).toBe(2);
    expect(peakConcurrency([{ who: "a", zxids: [3n, 9n] }, { who: "b", zxids: [9n, 20n] }]).peak).toBe(2);
    expect(() => expectNoOverlap([{ who: "a", zxids: [3n, 9n] }, { who: "b", zxids: [4n] }], 2)).toThrow(/overlapping holdings/);
  });

  test("counts the deepest nesting, not the number of overlapping pairs", () => {
    const h = [
      { who: "a", zxids: [1n, 10n] },
      { who: "b", zxids: [2n, 4n] },
      { who: "c", zxids: [5n, 7n] },
      { who: "d", zxids: [6n, 12n] },
    ];
    expect(peakConcurrency(h)).toEqual({ peak: 3, at: ["a [1, 10]", "c [5, 7]", "d [6, 12]"] });
  });

  test("a holding with no write is refused rather than counted as harmless", () => {
    expect(() => peakConcurrency([{ who: "a", zxids: [] }])).toThrow(/wrote nothing/);
  });
});
