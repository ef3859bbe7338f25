import type { TokenUsage } from "../cost/prices.js";
import type { RequestedToolCall } from "../session/session.js";

export type Provider = "openai" | "anthropic";
export type Api = "chat.completions" | "responses" | "messages";

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
  model: string;
  systemPrompt: string;
  tools: ObservedTool[];
  /** The request body, from which declared params are picked for comparison. */
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
