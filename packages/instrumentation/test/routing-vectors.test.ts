import { routingSlotOf, isCanarySlot } from "@agent-canary/conventions";
import { describe, expect, it } from "vitest";

/**
 * Expected slots and canary decisions computed once, independently, with the
 * the common big-integer router in Python (the whole digest modulo 10,000):
 *   python3 -c 'import hashlib; b = int(hashlib.sha256((id+salt).encode()).hexdigest(), 16) % 10000;
 *               canary = b / 10000 < pct / 100'
 * Ids include ones whose slots sit exactly on the edges (0, 100, 5000, 9999).
 */
const PERCENTS = [0, 1, 5, 5.26, 5.27, 20.27, 50, 99.65, 99.66, 99.99, 100];
const VECTORS: [id: string, salt: string, slot: number, canaryAt: number[]][] = [
  ["session-0", "", 526, [5.27, 20.27, 50, 99.65, 99.66, 99.99, 100]],
  ["session-0", "salt-2026", 8856, [99.65, 99.66, 99.99, 100]],
  ["session-1", "", 2027, [50, 99.65, 99.66, 99.99, 100]],
  ["session-1", "salt-2026", 1217, [20.27, 50, 99.65, 99.66, 99.99, 100]],
  ["user-42:conv-7", "", 505, [5.26, 5.27, 20.27, 50, 99.65, 99.66, 99.99, 100]],
  ["user-42:conv-7", "salt-2026", 5276, [99.65, 99.66, 99.99, 100]],
  ["abc", "", 9965, [99.66, 99.99, 100]],
  ["abc", "salt-2026", 9215, [99.65, 99.66, 99.99, 100]],
  ["tenant-a/1234", "", 2123, [50, 99.65, 99.66, 99.99, 100]],
  ["tenant-a/1234", "salt-2026", 3790, [50, 99.65, 99.66, 99.99, 100]],
  ["ümlaut-会话", "", 2073, [50, 99.65, 99.66, 99.99, 100]],
  ["ümlaut-会话", "salt-2026", 1759, [20.27, 50, 99.65, 99.66, 99.99, 100]],
  ["s-99999", "", 5724, [99.65, 99.66, 99.99, 100]],
  ["s-99999", "salt-2026", 9257, [99.65, 99.66, 99.99, 100]],
  ["edge-1825", "", 100, [5, 5.26, 5.27, 20.27, 50, 99.65, 99.66, 99.99, 100]],
  ["edge-1825", "salt-2026", 9490, [99.65, 99.66, 99.99, 100]],
  ["edge-15157", "", 0, [1, 5, 5.26, 5.27, 20.27, 50, 99.65, 99.66, 99.99, 100]],
  ["edge-15157", "salt-2026", 1410, [20.27, 50, 99.65, 99.66, 99.99, 100]],
  ["edge-18840", "", 9999, [100]],
  ["edge-18840", "salt-2026", 5740, [99.65, 99.66, 99.99, 100]],
  ["edge-56159", "", 5000, [99.65, 99.66, 99.99, 100]],
  ["edge-56159", "salt-2026", 2981, [50, 99.65, 99.66, 99.99, 100]],
];

describe("routing slots match the Python reference", () => {
  it.each(VECTORS)("%j with salt %j", (id, salt, slot, canaryAt) => {
    expect(routingSlotOf(id, salt)).toBe(slot);
    const decided = PERCENTS.filter((p) => isCanarySlot(routingSlotOf(id, salt), p));
    expect(decided).toEqual(canaryAt);
  });

  it("raising the percent never moves a canary id back to baseline", () => {
    for (let i = 0; i < 300; i++) {
      const slot = routingSlotOf(`mono-${i}`);
      let wasCanary = false;
      for (let p = 0; p <= 100; p += 1) {
        const now = isCanarySlot(slot, p);
        if (wasCanary) expect(now, `mono-${i} at ${p}%`).toBe(true);
        wasCanary = now;
      }
    }
  });
});
