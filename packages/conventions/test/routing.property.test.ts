import { createHash } from "node:crypto";
import { BUCKETS, bucketOf, isCanaryBucket } from "@agent-canary/conventions";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

/**
 * The routing contract as the architecture states it, checked against a reference
 * written the obvious way: the whole SHA-256 digest as one BigInt, modulo 10000.
 * bucketOf reads the digest in 32-bit words with doubles instead; these properties
 * hold it to the reference on random ids and salts (any Unicode, empty included).
 */
function referenceBucket(sessionId: string, salt: string): number {
  const hex = createHash("sha256").update(sessionId + salt, "utf8").digest("hex");
  return Number(BigInt(`0x${hex}`) % 10_000n);
}

const ids = fc.string({ unit: "binary", maxLength: 80 });
const salts = fc.oneof(fc.constant(""), fc.string({ unit: "grapheme", maxLength: 24 }));
const buckets = fc.integer({ min: 0, max: BUCKETS - 1 });
/** Percents as operators type them (two decimals) and arbitrary doubles in range. */
const percents = fc.oneof(
  fc.integer({ min: 0, max: 10_000 }).map((hundredths) => hundredths / 100),
  fc.double({ min: 0, max: 100, noNaN: true }),
);

describe("bucketOf equals SHA-256 as a big-endian integer mod 10000", () => {
  it("on random ids and salts", () => {
    fc.assert(
      fc.property(ids, salts, (id, salt) => {
        expect(bucketOf(id, salt)).toBe(referenceBucket(id, salt));
      }),
      { numRuns: 2_000 },
    );
  });

  it("without a salt, as with an empty salt", () => {
    fc.assert(
      fc.property(ids, (id) => {
        expect(bucketOf(id)).toBe(referenceBucket(id, ""));
        expect(bucketOf(id)).toBe(bucketOf(id, ""));
      }),
      { numRuns: 500 },
    );
  });

  it("appends the salt to the id (the Python reference hashes id + salt)", () => {
    fc.assert(
      fc.property(ids, salts, (id, salt) => {
        expect(bucketOf(id, salt)).toBe(bucketOf(id + salt));
      }),
      { numRuns: 500 },
    );
  });

  it("spreads ids over all 10000 buckets evenly", () => {
    // 100,000 ids: each decile of buckets expects 10,000; a deviation over 600 is > 6 sigma.
    const deciles = new Array<number>(10).fill(0);
    for (let i = 0; i < 100_000; i++) deciles[Math.floor(bucketOf(`spread-${i}`) / 1000)]! += 1;
    for (const count of deciles) expect(Math.abs(count - 10_000)).toBeLessThan(600);
    expect(BUCKETS).toBe(10_000);
  });
});

describe("isCanaryBucket", () => {
  it("is monotone in the percent: raising it never moves a canary bucket back to baseline", () => {
    fc.assert(
      fc.property(buckets, percents, percents, (bucket, p, q) => {
        const [low, high] = p <= q ? [p, q] : [q, p];
        if (isCanaryBucket(bucket, low)) expect(isCanaryBucket(bucket, high)).toBe(true);
      }),
      { numRuns: 5_000 },
    );
  });

  it("is monotone in the bucket: the canary share is the lowest buckets", () => {
    fc.assert(
      fc.property(buckets, buckets, percents, (a, b, percent) => {
        const [low, high] = a <= b ? [a, b] : [b, a];
        if (isCanaryBucket(high, percent)) expect(isCanaryBucket(low, percent)).toBe(true);
      }),
      { numRuns: 5_000 },
    );
  });

  it("sends no bucket to canary at 0% and every bucket at 100%", () => {
    for (let bucket = 0; bucket < BUCKETS; bucket++) {
      expect(isCanaryBucket(bucket, 0)).toBe(false);
      expect(isCanaryBucket(bucket, 100)).toBe(true);
    }
  });

  it("gives a percent with two decimals its share of buckets, within one bucket", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000 }), (hundredths) => {
        let canary = 0;
        for (let bucket = 0; bucket < BUCKETS; bucket++) if (isCanaryBucket(bucket, hundredths / 100)) canary++;
        // Exactly `hundredths` buckets in exact arithmetic; the float comparison (kept for
        // agreement with the Python reference) may admit the one bucket on the edge.
        expect(canary - hundredths).toBeGreaterThanOrEqual(0);
        expect(canary - hundredths).toBeLessThanOrEqual(1);
      }),
      { numRuns: 200 },
    );
  });

  it("decides the edge bucket by bucket/10000 < percent/100 (strictly below)", () => {
    expect(isCanaryBucket(0, 0.01)).toBe(true);
    expect(isCanaryBucket(1, 0.01)).toBe(false);
    expect(isCanaryBucket(499, 5)).toBe(true);
    expect(isCanaryBucket(500, 5)).toBe(false);
    expect(isCanaryBucket(9999, 99.99)).toBe(false);
    expect(isCanaryBucket(9998, 99.99)).toBe(true);
  });
});
