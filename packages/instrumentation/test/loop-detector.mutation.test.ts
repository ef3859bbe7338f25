// Loop detection edge cases a session's guard relies on. Written against the
// survivors of mutation testing (issue 14; scripts/mutation.sh instrumentation).
import { callSignature, LoopDetector } from "@agent-canary/instrumentation";
import { describe, expect, it } from "vitest";

const feed = (detector: LoopDetector, calls: string[]) => calls.map((c) => detector.record(c));

describe("loop detector", () => {
  it("reports the shortest repeated cycle", () => {
    const detector = new LoopDetector({ maxCycleLength: 3, repeats: 2 });
    expect(feed(detector, ["A", "A"]).at(-1)).toEqual({ cycle: ["A"], repeats: 2 });
  });

  it("finds the longest allowed cycle once exactly enough calls are kept, and only then", () => {
    const detector = new LoopDetector({ maxCycleLength: 2, repeats: 3 });
    const trips = feed(detector, ["X", "A", "B", "A", "B", "A", "B"]);
    expect(trips.slice(0, -1).every((t) => t === undefined)).toBe(true);
    expect(trips.at(-1)).toEqual({ cycle: ["A", "B"], repeats: 3 });
  });

  it("forgets older calls beyond its window, so a loop broken long ago does not count", () => {
    const detector = new LoopDetector({ maxCycleLength: 1, repeats: 3 });
    expect(feed(detector, ["A", "A", "B", "A", "A"]).some(Boolean)).toBe(false);
    expect(detector.record("A")).toEqual({ cycle: ["A"], repeats: 3 });
  });

  it("starts afresh after reset: a trip is reported once, not on every further call", () => {
    const detector = new LoopDetector({ maxCycleLength: 1, repeats: 3 });
    expect(feed(detector, ["A", "A", "A"]).at(-1)).toBeDefined();
    detector.reset();
    expect(feed(detector, ["A", "A"]).some(Boolean)).toBe(false);
    expect(detector.record("A")).toEqual({ cycle: ["A"], repeats: 3 });
  });

  it("needs the whole cycle repeated back to back, not just its last call", () => {
    const detector = new LoopDetector({ maxCycleLength: 2, repeats: 2 });
    expect(feed(detector, ["A", "B", "C", "B"]).some(Boolean)).toBe(false);
    expect(feed(new LoopDetector({ maxCycleLength: 2, repeats: 2 }), ["B", "A", "C", "A"]).some(Boolean)).toBe(false);
  });
});

describe("call signature", () => {
  it("treats missing arguments as an empty object, and arguments that are not JSON as text", () => {
    expect(callSignature("list_orders", undefined)).toBe("list_orders({})");
    expect(callSignature("list_orders", null)).toBe("list_orders({})");
    expect(callSignature("list_orders", "{}")).toBe("list_orders({})");
    expect(callSignature("search", "refund policy")).toBe('search("refund policy")');
    expect(callSignature("search", "[1, 2]")).toBe("search([1,2])");
  });
});
