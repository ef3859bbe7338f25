export { addDemoCommand, runDemoCommand } from "./command.js";
export { runDemo, type DemoRun } from "./run-demo.js";
export { DemoOptionsSchema, SCENARIO_NAMES, type DemoOptions, type ScenarioName } from "./options.js";
export { SCENARIOS, type ExpectedEnd, type Scenario } from "./scenarios.js";
export type { ScenarioOutcome, ScenarioSummary } from "./report/summary.js";
