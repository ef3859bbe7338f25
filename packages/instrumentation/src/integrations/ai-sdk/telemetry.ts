import { LlmCall } from "../../llm/call.js";
import { obj, str } from "../../llm/fields.js";
import { recordingContext } from "../call-env.js";
import { recordModelCall } from "./record.js";
import { aiSdkRequest } from "./request.js";
import { aiSdkUsage } from "./result.js";

type Event = { [key: string]: unknown; callId?: string; provider?: string; modelId?: string };

/** The slice of the AI SDK 7 `Telemetry` integration interface this implements. */
export interface AiSdkTelemetryIntegration {
  executeLanguageModelCall<T>(options: Event & { execute: () => PromiseLike<T> }): Promise<T>;
  onObjectStepStart(event: Event): void;
  onObjectStepEnd(event: Event): void;
}

/**
 * generateObject / streamObject (deprecated in ai 7) call the model without
 * executeLanguageModelCall: their one call is recorded from the step events.
 * A guard it trips ends the session (the AI SDK ignores callback errors): the
 * session's next call throws it. Keyed by the AI SDK's call id; bounded.
 */
const objectCalls = new Map<string, LlmCall>();
const MAX_OPEN_OBJECT_CALLS = 1_000;

function startObjectCall(event: Event): void {
  const recording = recordingContext();
  if (!recording || !event.callId || objectCalls.size >= MAX_OPEN_OBJECT_CALLS) return;
  const call = LlmCall.begin(recording.env, recording.session, aiSdkRequest(event, { prompt: event.promptMessages }, false));
  if (call) objectCalls.set(event.callId, call);
}

function endObjectCall(event: Event): void {
  const call = event.callId ? objectCalls.get(event.callId) : undefined;
  if (!call || !event.callId) return;
  objectCalls.delete(event.callId);
  const response = obj(event.response);
  const reason = str(event.finishReason);
  call.succeed({ responseModel: str(response.modelId), responseId: str(response.id), usage: aiSdkUsage(event.usage), finishReasons: reason ? [reason] : [], toolCalls: [] });
}

/**
 * An AI SDK 7 telemetry integration: the AI SDK runs every model call of
 * generateText, streamText, generateObject and their tool loops through
 * `executeLanguageModelCall`, which records it and can stop the loop on a
 * guard trip. Registered globally (see registerAiSdkTelemetry), so no model
 * needs wrapping; a call that passes its own `telemetry.integrations` must
 * list it too.
 */
export const aiSdkTelemetry: AiSdkTelemetryIntegration = {
  executeLanguageModelCall: ({ execute, ...event }) => recordModelCall(aiSdkRequest(event, event, false), execute),
  onObjectStepStart: startObjectCall,
  onObjectStepEnd: endObjectCall,
};

type Registry = { AI_SDK_TELEMETRY_INTEGRATIONS?: unknown[] };

/** Who asked for the integration (enabled instrumentations): it leaves the list when the last one is disabled. */
const owners = new Set<object>();

/**
 * Adds the integration to the AI SDK's global list (what its own
 * registerTelemetry() does), without importing `ai`: it works whichever copy
 * of the AI SDK the app loads, and whenever. Older AI SDKs ignore the list.
 */
export function registerAiSdkTelemetry(owner: object): void {
  owners.add(owner);
  const g = globalThis as Registry;
  const list = (g.AI_SDK_TELEMETRY_INTEGRATIONS ??= []);
  if (!list.includes(aiSdkTelemetry)) list.push(aiSdkTelemetry);
}

export function unregisterAiSdkTelemetry(owner: object): void {
  owners.delete(owner);
  if (owners.size > 0) return;
  const list = (globalThis as Registry).AI_SDK_TELEMETRY_INTEGRATIONS;
  const index = list?.indexOf(aiSdkTelemetry) ?? -1;
  if (list && index >= 0) list.splice(index, 1);
}
