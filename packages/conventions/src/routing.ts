import { createHash } from "node:crypto";

/**
 * How many routing slots sessions are hashed into. A slot is where a session's
 * id lands, not a histogram bucket: the canary gets the lowest `percent`% of the
 * slots.
 */
export const ROUTING_SLOTS = 10_000;

/**
 * The deterministic routing slot of a session: SHA-256 of the id (salt appended
 * when given), read as a big-endian integer, modulo 10000. This is the common
 * big-integer router (Python: int(sha256(id).hexdigest(), 16) % 10000), so the
 * same ids land in the same slots in both languages.
 */
export function routingSlotOf(sessionId: string, salt = ""): number {
  const digest = createHash("sha256").update(salt ? `${sessionId}${salt}` : sessionId).digest();
  // Horner's rule over eight big-endian 32-bit words: rem < 10^4, so rem * 2^32 + word
  // stays below 2^53 and every step is exact in a double (no BigInt needed).
  let rem = 0;
  for (let offset = 0; offset < 32; offset += 4) rem = (rem * 0x1_0000_0000 + digest.readUInt32BE(offset)) % ROUTING_SLOTS;
  return rem;
}

/**
 * Canary when slot/10000 < percent/100. Monotone in percent: raising the
 * percent never moves a canary slot back to baseline.
 */
export function isCanarySlot(slot: number, percent: number): boolean {
  // Same float operations as the Python reference, so edge slots agree.
  return slot / ROUTING_SLOTS < percent / 100;
}
