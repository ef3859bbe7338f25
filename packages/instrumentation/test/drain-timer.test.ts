import { afterEach, describe, expect, it, vi } from "vitest";
import { DrainTimer } from "../src/session/drain.js";

afterEach(() => {
  vi.useRealTimers();
});

describe("drain timer", () => {
  it("waits out a drain longer than setTimeout can (2^31-1 ms), on the monotonic clock", () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] });
    const day = 24 * 3600 * 1000;
    let expired = 0;
    new DrainTimer(performance.now() + 30 * day, () => (expired += 1));
    // A single setTimeout of 30 days would overflow and fire at once.
    vi.advanceTimersByTime(1_000);
    expect(expired).toBe(0);
    vi.advanceTimersByTime(29 * day);
    expect(expired).toBe(0);
    vi.advanceTimersByTime(day);
    expect(expired).toBe(1);
  });

  it("ends at once when the deadline has passed, and not at all once cancelled", () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] });
    let expired = 0;
    new DrainTimer(performance.now() - 1, () => (expired += 1));
    expect(expired).toBe(1);
    const timer = new DrainTimer(performance.now() + 10_000, () => (expired += 1));
    timer.cancel();
    vi.advanceTimersByTime(20_000);
    expect(expired).toBe(1);
  });
});
