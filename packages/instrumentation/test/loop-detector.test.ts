import { callSignature, LoopDetector } from "@agent-canary/instrumentation";
import { describe, expect, it } from "vitest";

function feed(detector: LoopDetector, calls: string[]) {
  return calls.map((c) => detector.record(c));
}

describe("loop detector", () => {
  const defaults = () => new LoopDetector({ maxCycleLength: 3, repeats: 3 });

  it("trips on a call repeated three times, on the third", () => {
    const trips = feed(defaults(), ["A", "A", "A"]);
    expect(trips.slice(0, 2)).toEqual([undefined, undefined]);
    expect(trips[2]).toEqual({ cycle: ["A"], repeats: 3 });
  });

  it("trips on cycles of two and three calls", () => {
    expect(feed(defaults(), ["A", "B", "A", "B", "A", "B"]).at(-1)).toEqual({ cycle: ["A", "B"], repeats: 3 });
    const three = feed(defaults(), ["X", "A", "B", "C", "A", "B", "C", "A", "B", "C"]);
    expect(three.filter(Boolean)).toHaveLength(1);
    expect(three.at(-1)).toEqual({ cycle: ["A", "B", "C"], repeats: 3 });
  });

  it("does not trip on progress: different arguments, or a cycle longer than the maximum", () => {
    expect(feed(defaults(), ["A", "A", "B", "A", "A", "B", "A", "A"]).some(Boolean)).toBe(false);
    const long = ["A", "B", "C", "D"];
    expect(feed(defaults(), [...long, ...long, ...long]).some(Boolean)).toBe(false);
    const signatures = [1, 2, 3, 4].map((page) => callSignature("search_kb", { query: "refund", page }));
    expect(feed(defaults(), signatures).some(Boolean)).toBe(false);
  });

  it("uses repeats and cycle length as configured", () => {
    const strict = new LoopDetector({ maxCycleLength: 1, repeats: 2 });
    expect(feed(strict, ["A", "A"]).at(-1)).toEqual({ cycle: ["A"], repeats: 2 });
    expect(feed(new LoopDetector({ maxCycleLength: 1, repeats: 3 }), ["A", "B", "A", "B", "A", "B"]).some(Boolean)).toBe(false);
  });
});

describe("call signature", () => {
  it("is the tool name plus canonical JSON: argument order and formatting do not matter", () => {
    const a = callSignature("issue_refund", '{"orderId": "A1", "amountUsd": 20}');
    const b = callSignature("issue_refund", { amountUsd: 20, orderId: "A1" });
    expect(a).toBe(b);
    expect(a).toBe('issue_refund({"amountUsd":20,"orderId":"A1"})');
    expect(callSignature("issue_refund", { amountUsd: 21, orderId: "A1" })).not.toBe(a);
    expect(callSignature("lookup_order", { amountUsd: 20, orderId: "A1" })).not.toBe(a);
  });
});
