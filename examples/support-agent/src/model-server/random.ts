import { createHash } from "node:crypto";

/** A uniform [0, 1) generator. */
export type Random = () => number;

/**
 * A reproducible generator seeded by hashing `parts` (mulberry32 on the first
 * 32 bits of SHA-256). Seeding by content rather than by call order keeps runs
 * reproducible however many sessions run concurrently.
 */
export function seeded(...parts: (string | number)[]): Random {
  let state = createHash("sha256").update(parts.join("\u0000")).digest().readUInt32BE(0);
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An integer in [min, max]. */
export function between(random: Random, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

export function pick<T>(random: Random, items: readonly T[]): T {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) throw new RangeError("pick() from an empty list");
  return item;
}
