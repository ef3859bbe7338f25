export { AgentCanary } from "./runtime/agent-canary.js";
export { type AgentCanaryOptions, AgentCanaryOptionsSchema } from "./runtime/options.js";
export { session, recordQualityScore, recordSafetyViolation, getDefaultRuntime, setDefaultRuntime } from "./runtime/default-runtime.js";
export { AgentSession, type SessionInit, type RequestedToolCall } from "./session/session.js";
export { currentSession } from "./session/context.js";
export {
  AgentCanaryGuardError,
  LoopDetectedError,
  BudgetExceededError,
  MaxTurnsError,
  DrainTimeoutError,
  type LoopMatch,
} from "./guards/errors.js";
export { LoopDetector, callSignature, type LoopDetectorOptions } from "./guards/loop-detector.js";
export { GuardsSchema, type GuardsOptions, type GuardsConfig } from "./guards/config.js";
export { PriceBook, type ModelPrice, type PriceTable, type TokenUsage, type CallCost } from "./cost/prices.js";
export { AgentCanaryInstrumentation, type AgentCanaryInstrumentationConfig, SUPPORTED } from "./llm/instrumentation.js";
export * from "./integrations/index.js";
export type { RoutingFailure } from "./routing/router.js";
export { BUCKETS } from "./telemetry/metrics.js";
export { type Logger, consoleLogger } from "./telemetry/logger.js";
export { OptionsError } from "./options-error.js";
export { register, type AgentCanaryHandle } from "./register/register.js";
export { type RegisterOptions, RegisterOptionsSchema } from "./register/options.js";
export { ENV_VARS } from "./register/env.js";
export { envVarsTable } from "./register/env-doc.js";
