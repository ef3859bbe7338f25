/** Span names and attribute keys: the tracing side of the contract. */
export const SPAN_NAMES = {
  /** GenAI semconv: `invoke_agent {agent name}`; one per session. */
  invokeAgent: "invoke_agent",
  /** GenAI semconv: `chat {model}`; one per LLM call. */
  chat: "chat",
  /** GenAI semconv: `execute_tool {tool name}`; one per tool call. */
  executeTool: "execute_tool",
  /** Ours: the loop detector tripped. */
  loopTrip: "agent_canary.loop_trip",
} as const;

export const ATTR = {
  deployment: "agent_canary.deployment",
  versionGroup: "agent_canary.version.group",
  versionHash: "agent_canary.version.hash",
  sessionId: "session.id",
  tenant: "agent_canary.tenant",
  outcome: "agent_canary.session.outcome",
  turn: "agent_canary.turn",
  costUsd: "agent_canary.cost_usd",
  observedVersionHash: "agent_canary.observed_version.hash",
  versionMismatch: "agent_canary.version.mismatch",
  loopSignature: "agent_canary.loop.signature",
  loopCycleLength: "agent_canary.loop.cycle_length",
  loopRepeats: "agent_canary.loop.repeats",
  // GenAI semconv keys we use.
  agentName: "gen_ai.agent.name",
  agentVersion: "gen_ai.agent.version",
  operationName: "gen_ai.operation.name",
  providerName: "gen_ai.provider.name",
  requestModel: "gen_ai.request.model",
  responseModel: "gen_ai.response.model",
  inputTokens: "gen_ai.usage.input_tokens",
  outputTokens: "gen_ai.usage.output_tokens",
  toolName: "gen_ai.tool.name",
  toolCallId: "gen_ai.tool.call.id",
  conversationId: "gen_ai.conversation.id",
  // The stratum a session was routed in (the gate inputs' labels; see strata.ts).
  rolloutId: "agent_canary.rollout.id",
  canaryPercent: "agent_canary.rollout.canary_percent",
  assignment: "agent_canary.routing.assignment",
} as const;
