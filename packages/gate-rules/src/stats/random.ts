/** A small seeded generator (mulberry32): simulations must be repeatable from their seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * Box-Muller gives normals in pairs: the second of a pair is kept for the next
 * call with the same generator (a call with another generator drops it, so a
 * sequence stays a function of the calls made, and repeatable from the seeds).
 */
let spareOf: (() => number) | undefined;
let spare = 0;

export function normal(rng: () => number): number {
  if (spareOf === rng) {
    spareOf = undefined;
    return spare;
  }
  // 1 - u keeps the log away from 0.
  const r = Math.sqrt(-2 * Math.log(1 - rng()));
  const angle = 2 * Math.PI * rng();
  spareOf = rng;
  spare = r * Math.sin(angle);
  return r * Math.cos(angle);
}

export function poisson(rng: () => number, mean: number): number {
  if (mean > 60) return Math.max(0, Math.round(mean + Math.sqrt(mean) * normal(rng)));
  const limit = Math.exp(-mean);
  let k = 0;
  let p = rng();
  while (p > limit) {
    k += 1;
    p *= rng();
  }
  return k;
}
