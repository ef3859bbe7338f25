export { addDemoCommand, runDemoCommand } from "./command.js";
export { runDemo } from "./run-demo.js";
export { DemoOptionsSchema, SCENARIO_NAMES, type DemoOptions, type ScenarioName } from "./options.js";
