import { createHash } from "node:crypto";

export const BUCKETS = 10_000;

/**
 * The deterministic bucket of a session: SHA-256 of the id (salt appended when
 * given), read as a big-endian integer, modulo 10000. This is the second
 * source's algorithm (Python: int(sha256(id).hexdigest(), 16) % 10000) so the
 * same ids land in the same buckets in both languages.
 */
export function bucketOf(sessionId: string, salt = ""): number {
  const digest = createHash("sha256").update(salt ? `${sessionId}${salt}` : sessionId).digest();
  // (a * 256 + b) mod m, byte by byte: exact without BigInt allocation per byte.
  let rem = 0;
  for (const byte of digest) rem = (rem * 256 + byte) % BUCKETS;
  return rem;
}

/**
 * Canary when bucket/10000 < percent/100. Monotone in percent: raising the
 * percent never moves a canary bucket back to baseline.
 */
export function isCanaryBucket(bucket: number, percent: number): boolean {
  // Same float operations as the Python reference, so edge buckets agree.
  return bucket / BUCKETS < percent / 100;
}
