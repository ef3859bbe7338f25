import type { TokenUsage } from "../cost/prices.js";
import type { RequestedToolCall } from "../session/session.js";

/**
 * The GenAI provider name (gen_ai.provider.name): "openai", "anthropic",
 * "gcp.gemini", "aws.bedrock", or whatever a foreign instrumentation reports.
 */
export type Provider = string;
/** Which API of the provider served the call ("chat.completions", "messages", "generateContent", "converse", ...). */
export type Api = string;

/** A tool definition as the model sees it, reduced to what identifies it. */
export interface ObservedTool {
  [key: string]: unknown;
  name: string;
  description?: string | undefined;
  parameters?: Record<string, unknown> | undefined;
}

/** What an LLM request reveals about the agent version that sent it. */
export interface LlmRequest {
  provider: Provider;
  api: Api;
  /** gen_ai.operation.name: "chat" unless the provider's convention names it otherwise (Gemini: "generate_content"). */
  operation?: string | undefined;
  model: string;
  systemPrompt: string;
  tools: ObservedTool[];
  /** The request's generation params by the SDK's own names, from which declared params are picked for comparison. */
  body: Record<string, unknown>;
  stream: boolean;
}

export interface LlmResult {
  responseModel?: string | undefined;
  responseId?: string | undefined;
  /** Undefined when the response carried no usage: recorded as unknown, never as 0 tokens. */
  usage?: TokenUsage | undefined;
  finishReasons: string[];
  toolCalls: RequestedToolCall[];
}

/** A result with nothing known: no usage, no tool calls. */
export const EMPTY_RESULT: LlmResult = Object.freeze({ finishReasons: [], toolCalls: [] }) as LlmResult;
