import type { BehaviourOptions } from "@agent-canary/example-support-agent";
import type { ScenarioName } from "./options.js";

export type ExpectedEnd = "rolled_back" | "promoted";

export interface Scenario {
  name: ScenarioName;
  /** What the canary does differently, in one line. */
  story: string;
  /** How the scripted model server makes the canary's model behave. */
  canaryBehaviour: BehaviourOptions;
  /** What a working product does with it. */
  expect: ExpectedEnd;
}

export const SCENARIOS: Record<ScenarioName, Scenario> = {
  cost: {
    name: "cost",
    story: "the canary answers as well but writes four times the output tokens: about twice the cost per session",
    canaryBehaviour: { tokenScale: 4 },
    expect: "rolled_back",
  },
  loop: {
    name: "loop",
    story: "in two sessions out of five the canary calls the same tool with the same arguments until the loop guard stops it",
    canaryBehaviour: { loopRate: 0.4 },
    expect: "rolled_back",
  },
  healthy: {
    name: "healthy",
    story: "the canary behaves exactly like the baseline (an A/A test: no gate should fire)",
    canaryBehaviour: {},
    expect: "promoted",
  },
};
