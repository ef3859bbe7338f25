/**
 * Preload entry: `node --import @agent-canary/instrumentation/register app.mjs`
 * (ESM apps) or `node --require @agent-canary/instrumentation/register app.js`
 * (CommonJS apps). Reads the AGENT_CANARY_* variables (see ENV_VARS), installs
 * the import-in-the-middle loader hook so ESM imports of every SDK in
 * INSTRUMENTED_MODULES are instrumented, and calls register(). Standard OTEL_*
 * variables keep working. No top-level await: this module must load under
 * require() too.
 */
import { register as registerAsyncLoader } from "node:module";
import { fieldErrorMap } from "@agent-canary/conventions";
import { register as registerSyncLoader, supportsSyncHooks } from "import-in-the-middle/register-hooks.mjs";
import { INSTRUMENTED_MODULES } from "./llm/instrumentation.js";
import { OptionsError } from "./options-error.js";
import { parseEnvOptions } from "./register/env.js";
import { RegisterOptionsSchema } from "./register/options.js";
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

/** Every bad variable and field at once, each named (AGENT_CANARY_BUDGET_USD (guards.budgetUsd): ...). */
function optionsFromEnvironment() {
  return parseEnvOptions(process.env, (options) => RegisterOptionsSchema.safeParse(options, { error: fieldErrorMap }));
}

/**
 * Settings that do not parse stop the process before the app starts, with the
 * list of what to fix and nothing else (no stack trace to read past).
 */
function stopOnBadSettings(error: unknown): never {
  if (!(error instanceof OptionsError)) throw error;
  process.stderr.write(
    `[agent-canary] ${error.message}\n[agent-canary] the app was not started: fix the settings above, or set AGENT_CANARY_DISABLED=1 to run it without agent-canary\n`,
  );
  process.exit(1);
}

function start(): AgentCanaryHandle | undefined {
  if (process.env.AGENT_CANARY_DISABLED === "1") {
    // Off: register() returns a handle that runs sessions on the declared baseline. Settings
    // that do not parse leave session() running its function all the same (see session()).
    try {
      return register(optionsFromEnvironment());
    } catch {
      return undefined;
    }
  }
  installEsmLoaderHook();
  let handle: AgentCanaryHandle;
  try {
    handle = register(optionsFromEnvironment());
  } catch (error) {
    stopOnBadSettings(error);
  }
  // Flush telemetry when the event loop drains. No SIGTERM handler: adding one
  // would stop the default exit; apps that trap SIGTERM call handle.shutdown().
  process.once("beforeExit", () => void handle.shutdown());
  return handle;
}

/** The handle of the preloaded registration (undefined when AGENT_CANARY_DISABLED=1 and the settings do not parse). */
export const handle: AgentCanaryHandle | undefined = start();
