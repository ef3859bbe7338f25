/**
 * Signatures of deliveries already acted on, so a captured signed delivery cannot be
 * replayed: with a timestamp for twice the allowed clock skew (older ones fail the timestamp
 * check anyway); without one, for the configured replay window. A signature is remembered
 * only once its delivery was answered 2xx: Grafana's retry of a delivery that got a 5xx is
 * not a replay. Bounded: when full, the entries closest to expiry go first.
 */
export class ReplayCache {
  private readonly seen = new Map<string, number>();

  constructor(private readonly maxEntries = 100_000) {}

  /** True when this signature was acted on and has not expired. */
  has(signature: string, nowMs: number): boolean {
    const expires = this.seen.get(signature);
    return expires !== undefined && expires > nowMs;
  }

  remember(signature: string, nowMs: number, ttlMs: number): void {
    this.seen.delete(signature);
    this.seen.set(signature, nowMs + ttlMs);
    // Map keeps insertion order, and one cache uses one ttl: the first entries expire first.
    for (const [key, expires] of this.seen) {
      if (expires > nowMs && this.seen.size <= this.maxEntries) break;
      this.seen.delete(key);
    }
  }
}
