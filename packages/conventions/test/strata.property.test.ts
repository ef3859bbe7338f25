import {
  ASSIGNMENTS,
  AssignmentSchema,
  GATED_ASSIGNMENT,
  GATE_QUANTITIES,
  GateQuantitySchema,
  LOG_COST_FLOOR_USD,
  canaryPercentLabel,
  logCost,
} from "@agent-canary/conventions";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

/**
 * The gate-input labels are read by generated PromQL (`assignment="split"`,
 * `quantity="log_cost"`, `canary_percent="5"`), so their values are a contract
 * between the agents and the rules, and logCost's shape is what makes a cost
 * gate on the log scale compare like with like.
 */
describe("gate input labels", () => {
  it("has a closed set of assignments, and only randomised splits are gated", () => {
    expect([...ASSIGNMENTS].sort()).toEqual(["fail_closed", "no_rollout", "routing_key", "split", "tenant_override"]);
    expect(GATED_ASSIGNMENT).toBe("split");
    for (const assignment of ASSIGNMENTS) expect(AssignmentSchema.parse(assignment)).toBe(assignment);
    for (const other of ["", "Split", "canary", "override"]) expect(AssignmentSchema.safeParse(other).success, other).toBe(false);
  });

  it("has a closed set of gate quantities", () => {
    expect([...GATE_QUANTITIES].sort()).toEqual(["cost", "duration", "log_cost", "quality", "turns"]);
    for (const quantity of GATE_QUANTITIES) expect(GateQuantitySchema.parse(quantity)).toBe(quantity);
    expect(GateQuantitySchema.safeParse("latency").success).toBe(false);
  });

  it("writes the canary percent as the shortest decimal that reads back as the same number", () => {
    expect(["0", "0.5", "5", "25", "100", "12.34"]).toEqual([0, 0.5, 5, 25, 100, 12.34].map(canaryPercentLabel));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000 }), (hundredths) => {
        const label = canaryPercentLabel(hundredths / 100);
        expect(Number(label)).toBe(hundredths / 100);
        expect(label).toMatch(/^(0|[1-9]\d{0,2})(\.\d{1,2})?$/);
      }),
    );
  });
});

describe("logCost", () => {
  it("is ln(cost / 1 micro-dollar), never negative, and 0 at or below the floor", () => {
    expect(LOG_COST_FLOOR_USD).toBe(1e-6);
    expect(logCost(1e-6)).toBe(0);
    expect(logCost(0)).toBe(0);
    expect(logCost(1e-9)).toBe(0);
    expect(logCost(1)).toBeCloseTo(Math.log(1e6), 12);
    expect(logCost(0.01)).toBeCloseTo(Math.log(1e4), 12);
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1e4, noNaN: true }), (cost) => {
        expect(logCost(cost)).toBeGreaterThanOrEqual(0);
      }),
    );
  });

  it("is monotone in cost, so a costlier arm never looks cheaper on the log scale", () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1e4, noNaN: true }), fc.double({ min: 0, max: 1e4, noNaN: true }), (a, b) => {
        const [low, high] = a <= b ? [a, b] : [b, a];
        expect(logCost(low)).toBeLessThanOrEqual(logCost(high));
      }),
    );
  });

  it("turns a cost ratio into a constant difference above the floor (what the log-scale gate compares)", () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-6, max: 1e3, noNaN: true }), fc.double({ min: 1, max: 100, noNaN: true }), (cost, ratio) => {
        expect(logCost(cost * ratio) - logCost(cost)).toBeCloseTo(Math.log(ratio), 9);
      }),
    );
  });
});
