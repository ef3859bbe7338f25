export { startModelServer, type ModelServer, type ModelServerOptions, ModelServerOptionsSchema } from "./model-server/server.js";
export { BehaviourSchema, type Behaviour, type BehaviourOptions } from "./model-server/behaviour.js";
export { seeded, type Random } from "./model-server/random.js";
export { runSupportSession, type SupportSessionOptions, type SupportSessionResult } from "./agent/support-agent.js";
export { makeTask, parseTask, type SupportTask, type TaskKind } from "./agent/tasks.js";
export { TOOL_DEFINITIONS, executeTool, findOrder, type ToolResult } from "./agent/tools.js";
export { BASELINE_VERSION, CANARY_VERSION } from "./agent/versions.js";
export { runFleet, type FleetOptions, type FleetSummary, type GroupSummary, type SessionRecord, type SessionRunner } from "./fleet.js";
