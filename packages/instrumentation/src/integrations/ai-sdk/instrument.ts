import { isObj } from "../../llm/fields.js";
import { agentCanaryMiddleware } from "./middleware.js";
import { registerAiSdkTelemetry } from "./telemetry.js";

type Fn = (...args: unknown[]) => unknown;
const PATCHED = Symbol.for("agent-canary.ai-sdk.patched");

function hasFn(value: unknown, name: string): boolean {
  return (isObj(value) || typeof value === "function") && typeof (value as Record<string, unknown>)[name] === "function";
}

/** The `ai` package itself (its module namespace or default export). */
function isAiModule(value: unknown): boolean {
  return hasFn(value, "generateText") && hasFn(value, "wrapLanguageModel");
}

/** An AI SDK language model: a provider's model object with doGenerate and doStream. */
function isLanguageModel(value: unknown): value is Record<string, unknown> & { doGenerate: Fn; doStream: Fn; provider: string; modelId: string } {
  return isObj(value) && typeof value.specificationVersion === "string" && hasFn(value, "doGenerate") && hasFn(value, "doStream");
}

/** An AI SDK provider (`openai`, `createGoogleGenerativeAI(...)`): callable, with languageModel(). */
function isProvider(value: unknown): value is { specificationVersion?: unknown } {
  return hasFn(value, "languageModel");
}

/** Runs a model's own doGenerate / doStream through the middleware, in place, so the object the app holds is recorded. */
function patchModel(model: Record<string, unknown> & { doGenerate: Fn; doStream: Fn; provider: string; modelId: string }): void {
  if ((model as Record<PropertyKey, unknown>)[PATCHED]) return;
  const middleware = agentCanaryMiddleware();
  const generate = model.doGenerate.bind(model);
  const stream = model.doStream.bind(model);
  Object.defineProperties(model, {
    doGenerate: { configurable: true, writable: true, value: (params: object) => middleware.wrapGenerate({ doGenerate: () => generate(params) as PromiseLike<unknown>, params, model }) },
    doStream: { configurable: true, writable: true, value: (params: object) => middleware.wrapStream({ doStream: () => stream(params) as PromiseLike<unknown>, params, model }) },
    [PATCHED]: { value: true },
  });
}

/**
 * What instrument() does with AI SDK objects; undefined when `value` is none.
 * The `ai` module or an ai 7 provider: the global telemetry integration covers
 * every call. A model object (any AI SDK version): patched in place. A
 * provider of ai 5 or 6: its models are new objects on each call, so only
 * wrapping them with the middleware can record them.
 */
export function instrumentAiSdk(value: unknown, owner: object): string[] | undefined {
  if (isAiModule(value)) {
    registerAiSdkTelemetry(owner);
    return ["ai telemetry integration"];
  }
  if (isLanguageModel(value)) {
    patchModel(value);
    return [`ai-sdk model ${value.provider} ${value.modelId}`];
  }
  if (isProvider(value)) {
    if (value.specificationVersion === "v4") {
      registerAiSdkTelemetry(owner);
      return ["ai telemetry integration"];
    }
    throw new TypeError(
      "instrument() got an AI SDK provider of ai 5 or 6, whose models cannot be patched through it: wrap each model instead, wrapLanguageModel({ model: provider(\"model-id\"), middleware: agentCanaryMiddleware() }), or pass the model object to instrument()",
    );
  }
  return undefined;
}
