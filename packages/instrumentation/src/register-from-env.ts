/**
 * Preload entry: `node --import @agent-canary/instrumentation/register app.mjs`
 * (ESM apps) or `node --require @agent-canary/instrumentation/register app.js`
 * (CommonJS apps). Reads the AGENT_CANARY_* variables (see ENV_VARS), installs
 * the import-in-the-middle loader hook so ESM imports of openai and
 * @anthropic-ai/sdk are instrumented, and calls register(). Standard OTEL_*
 * variables keep working. No top-level await: this module must load under
 * require() too.
 */
import { register as registerAsyncLoader } from "node:module";
import { register as registerSyncLoader, supportsSyncHooks } from "import-in-the-middle/register-hooks.mjs";
import { INSTRUMENTED_MODULES } from "./llm/instrumentation.js";
import { optionsFromEnv } from "./register/env.js";
import { parseRegisterOptions } from "./register/options.js";
import { type AgentCanaryHandle, register } from "./register/register.js";

/**
 * ESM imports are only visible to a loader hook. Synchronous in-thread hooks
 * (module.registerHooks) are preferred: the asynchronous loader thread breaks
 * require() of ES modules in CommonJS apps. Only the SDK modules are hooked.
 */
function installEsmLoaderHook(): void {
  if (supportsSyncHooks()) registerSyncLoader({ include: [...INSTRUMENTED_MODULES] });
  else registerAsyncLoader("@opentelemetry/instrumentation/hook.mjs", import.meta.url);
}

function start(): AgentCanaryHandle | undefined {
  if (process.env.AGENT_CANARY_DISABLED === "1") return undefined;
  installEsmLoaderHook();
  const options = parseRegisterOptions(
    optionsFromEnv(process.env),
    `agent-canary settings from AGENT_CANARY_* variables${process.env.AGENT_CANARY_CONFIG ? ` and ${process.env.AGENT_CANARY_CONFIG}` : ""}`,
  );
  const handle = register(options);
  handle.ready.catch((error: unknown) => console.error(`[agent-canary] ${error instanceof Error ? error.message : String(error)}`));
  // Flush telemetry when the event loop drains. No SIGTERM handler: adding one
  // would stop the default exit; apps that trap SIGTERM call handle.shutdown().
  process.once("beforeExit", () => void handle.shutdown());
  return handle;
}

/** The handle of the preloaded registration (undefined when AGENT_CANARY_DISABLED=1). */
export const handle: AgentCanaryHandle | undefined = start();
