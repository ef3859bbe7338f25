import { createHash } from "node:crypto";
import { ROUTING_SLOTS, routingSlotOf, isCanarySlot } from "@agent-canary/conventions";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

/**
 * The routing contract as the architecture states it, checked against a reference
 * written the obvious way: the whole SHA-256 digest as one BigInt, modulo 10000.
 * routingSlotOf reads the digest in 32-bit words with doubles instead; these properties
 * hold it to the reference on random ids and salts (any Unicode, empty included).
 */
function referenceSlot(sessionId: string, salt: string): number {
  const hex = createHash("sha256").update(sessionId + salt, "utf8").digest("hex");
  return Number(BigInt(`0x${hex}`) % 10_000n);
}

const ids = fc.string({ unit: "binary", maxLength: 80 });
const salts = fc.oneof(fc.constant(""), fc.string({ unit: "grapheme", maxLength: 24 }));
const slots = fc.integer({ min: 0, max: ROUTING_SLOTS - 1 });
/** Percents as operators type them (two decimals) and arbitrary doubles in range. */
const percents = fc.oneof(
  fc.integer({ min: 0, max: 10_000 }).map((hundredths) => hundredths / 100),
  fc.double({ min: 0, max: 100, noNaN: true }),
);

describe("routingSlotOf equals SHA-256 as a big-endian integer mod 10000", () => {
  it("on random ids and salts", () => {
    fc.assert(
      fc.property(ids, salts, (id, salt) => {
        expect(routingSlotOf(id, salt)).toBe(referenceSlot(id, salt));
      }),
      { numRuns: 2_000 },
    );
  });

  it("without a salt, as with an empty salt", () => {
    fc.assert(
      fc.property(ids, (id) => {
        expect(routingSlotOf(id)).toBe(referenceSlot(id, ""));
        expect(routingSlotOf(id)).toBe(routingSlotOf(id, ""));
      }),
      { numRuns: 500 },
    );
  });

  it("appends the salt to the id (the Python reference hashes id + salt)", () => {
    fc.assert(
      fc.property(ids, salts, (id, salt) => {
        expect(routingSlotOf(id, salt)).toBe(routingSlotOf(id + salt));
      }),
      { numRuns: 500 },
    );
  });

  it("spreads ids over all 10000 slots evenly", () => {
    // 100,000 ids: each decile of slots expects 10,000; a deviation over 600 is > 6 sigma.
    const deciles = new Array<number>(10).fill(0);
    for (let i = 0; i < 100_000; i++) deciles[Math.floor(routingSlotOf(`spread-${i}`) / 1000)]! += 1;
    for (const count of deciles) expect(Math.abs(count - 10_000)).toBeLessThan(600);
    expect(ROUTING_SLOTS).toBe(10_000);
  });
});

describe("isCanarySlot", () => {
  it("is monotone in the percent: raising it never moves a canary slot back to baseline", () => {
    fc.assert(
      fc.property(slots, percents, percents, (slot, p, q) => {
        const [low, high] = p <= q ? [p, q] : [q, p];
        if (isCanarySlot(slot, low)) expect(isCanarySlot(slot, high)).toBe(true);
      }),
      { numRuns: 5_000 },
    );
  });

  it("is monotone in the slot: the canary share is the lowest slots", () => {
    fc.assert(
      fc.property(slots, slots, percents, (a, b, percent) => {
        const [low, high] = a <= b ? [a, b] : [b, a];
        if (isCanarySlot(high, percent)) expect(isCanarySlot(low, percent)).toBe(true);
      }),
      { numRuns: 5_000 },
    );
  });

  it("sends no slot to canary at 0% and every slot at 100%", () => {
    for (let slot = 0; slot < ROUTING_SLOTS; slot++) {
      expect(isCanarySlot(slot, 0)).toBe(false);
      expect(isCanarySlot(slot, 100)).toBe(true);
    }
  });

  it("gives a percent with two decimals its share of slots, within one slot", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000 }), (hundredths) => {
        let canary = 0;
        for (let slot = 0; slot < ROUTING_SLOTS; slot++) if (isCanarySlot(slot, hundredths / 100)) canary++;
        // Exactly `hundredths` slots in exact arithmetic; the float comparison (kept for
        // agreement with the Python reference) may admit the one slot on the edge.
        expect(canary - hundredths).toBeGreaterThanOrEqual(0);
        expect(canary - hundredths).toBeLessThanOrEqual(1);
      }),
      { numRuns: 200 },
    );
  });

  it("decides the edge slot by slot/10000 < percent/100 (strictly below)", () => {
    expect(isCanarySlot(0, 0.01)).toBe(true);
    expect(isCanarySlot(1, 0.01)).toBe(false);
    expect(isCanarySlot(499, 5)).toBe(true);
    expect(isCanarySlot(500, 5)).toBe(false);
    expect(isCanarySlot(9999, 99.99)).toBe(false);
    expect(isCanarySlot(9998, 99.99)).toBe(true);
  });
});
