/** The public surface of the stack integrations and GenAI-span ingestion (re-exported by the package index). */
export { guardErrorOf } from "../llm/guard-error.js";
export { agentCanaryMiddleware, type AgentCanaryLanguageModelMiddleware } from "./ai-sdk/middleware.js";
export { aiSdkTelemetry, type AiSdkTelemetryIntegration } from "./ai-sdk/telemetry.js";
export { AgentCanarySpanProcessor } from "../spans/processor.js";
