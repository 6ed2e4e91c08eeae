// The grace a suspended holder gets before it counts its lock (lease,
// leadership) as lost: it must end before the service could expire the
// session, or two holders could both believe they hold.
import { describe, expect, test } from "vitest";
import { defaultGraceMs } from "../../recipes/hold.js";

describe("the default grace before a suspended holding is lost", () => {
  test("is half the timeout left once a failed ping is noticed, so the holder gives up before the session can expire", () => {
    expect(defaultGraceMs(30_000)).toBe(5_000);
    expect(defaultGraceMs(9_000)).toBe(1_500);
    expect(defaultGraceMs(4_000)).toBe(666);
    // Short sessions: the 1 s floor on the ping's own timeout eats into it.
    expect(defaultGraceMs(2_000)).toBe(166);
    expect(defaultGraceMs(1_000)).toBe(0);
    for (const t of [2_000, 4_000, 10_000, 40_000]) {
      const third = Math.ceil(t / 3);
      expect(third + Math.max(1000, third) + 2 * defaultGraceMs(t)).toBeLessThanOrEqual(t);
    }
  });
});
