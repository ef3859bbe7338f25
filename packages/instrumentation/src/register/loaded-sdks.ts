import { createRequire } from "node:module";
import type { AgentCanaryInstrumentation } from "../llm/instrumentation.js";

/** The CommonJS entry of either SDK, wherever the package manager put it. */
const SDK_ENTRY = /[\\/]node_modules[\\/](?:openai|@anthropic-ai[\\/]sdk)[\\/]index\.js$/;

/**
 * The require() hook only sees SDKs loaded after register(). A CommonJS app
 * that required openai before calling register() would otherwise run every
 * LLM call unrecorded, without a word; the copies already in require.cache are
 * patched here. ESM imports are not in that cache and cannot be reached: they
 * need the --import preload or instrumentation.instrument(). Returns the
 * methods patched.
 */
export function instrumentLoadedSdks(instrumentation: AgentCanaryInstrumentation): string[] {
  const cache = createRequire(import.meta.url).cache;
  const patched: string[] = [];
  for (const [file, loaded] of Object.entries(cache)) {
    if (!loaded || !SDK_ENTRY.test(file)) continue;
    try {
      patched.push(...instrumentation.instrument(loaded.exports));
    } catch {
      // A layout instrument() does not know (an unsupported SDK version): the hook would skip it too.
    }
  }
  return patched;
}
