import { anthropicRequest, MessageStreamAccumulator, messageResult } from "./anthropic-payloads.js";
import {
  ChatStreamAccumulator,
  chatCompletionResult,
  openaiRequest,
  ResponsesStreamAccumulator,
  responsesResult,
} from "./openai-payloads.js";
import type { ApiShape } from "./wrap-create.js";

export const CHAT_COMPLETIONS: ApiShape = {
  request: (body) => openaiRequest("chat.completions", body),
  result: chatCompletionResult,
  accumulator: () => new ChatStreamAccumulator(),
};

export const RESPONSES: ApiShape = {
  request: (body) => openaiRequest("responses", body),
  result: responsesResult,
  accumulator: () => new ResponsesStreamAccumulator(),
};

export const MESSAGES: ApiShape = {
  request: anthropicRequest,
  result: messageResult,
  accumulator: () => new MessageStreamAccumulator(),
};
