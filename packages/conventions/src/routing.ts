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
  // Horner's rule over eight big-endian 32-bit words: rem < 10^4, so rem * 2^32 + word
  // stays below 2^53 and every step is exact in a double (no BigInt needed).
  let rem = 0;
  for (let offset = 0; offset < 32; offset += 4) rem = (rem * 0x1_0000_0000 + digest.readUInt32BE(offset)) % BUCKETS;
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
