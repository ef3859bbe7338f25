import { arr, isObj, type Obj, obj, str, textOf } from "../../llm/fields.js";
import type { LlmRequest, ObservedTool } from "../../llm/types.js";
import { genAiProviderName } from "./provider.js";

/** System text of AI SDK messages ({ role: "system", content: string }) and of `instructions`. */
function systemText(instructions: unknown, messages: unknown): string {
  const parts: string[] = [];
  for (const item of Array.isArray(instructions) ? instructions : instructions === undefined ? [] : [instructions]) {
    if (typeof item === "string") parts.push(item);
    else if (isObj(item)) parts.push(textOf(item.content));
  }
  for (const message of arr(messages).map(obj)) if (message.role === "system") parts.push(textOf(message.content));
  return parts.join("\n");
}

/** Function tools as the model receives them ({ type: "function", name, description, inputSchema }). */
function aiSdkTools(tools: unknown): ObservedTool[] {
  const list = Array.isArray(tools) ? tools : isObj(tools) ? Object.entries(tools).map(([name, t]) => ({ name, ...obj(t) })) : [];
  return list.map(obj).map((t) => {
    const schema = t.inputSchema ?? t.parameters;
    return {
      name: str(t.name) ?? str(t.id) ?? "unknown",
      description: str(t.description),
      parameters: isObj(schema) ? (isObj(schema.jsonSchema) ? schema.jsonSchema : schema) : undefined,
    };
  });
}

/**
 * A model call as the AI SDK hands it to a provider (middleware `params` and
 * `model`, or a telemetry integration's model-call event). The call settings
 * (temperature, maxOutputTokens, topP, ...) are compared by the AI SDK's names.
 */
export function aiSdkRequest(model: { provider?: unknown; modelId?: unknown }, call: Obj, stream: boolean): LlmRequest {
  const provider = str(model.provider);
  return {
    provider: genAiProviderName(provider),
    api: `ai-sdk ${provider ?? "unknown"}`,
    model: str(model.modelId) ?? "unknown",
    systemPrompt: systemText(call.instructions ?? call.system, call.prompt ?? call.messages),
    tools: aiSdkTools(call.tools),
    body: call,
    stream,
  };
}
