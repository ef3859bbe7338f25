import { createRequire } from "node:module";
import { join, sep } from "node:path";
import { type AgentCanaryInstrumentation, INSTRUMENTED_MODULES } from "../llm/instrumentation.js";

const NODE_MODULES = `${sep}node_modules${sep}`;

/** Where each patched SDK sits among the loaded files: the node_modules folder holding it, by package folder. */
function loadedSdkPackages(files: Iterable<string>): Map<string, { name: string; nodeModules: string }> {
  const found = new Map<string, { name: string; nodeModules: string }>();
  for (const file of files) {
    for (const name of INSTRUMENTED_MODULES) {
      const marker = `${NODE_MODULES}${name.split("/").join(sep)}${sep}`;
      const at = file.lastIndexOf(marker);
      if (at < 0) continue;
      const packageDir = file.slice(0, at + marker.length - 1);
      if (!found.has(packageDir)) found.set(packageDir, { name, nodeModules: file.slice(0, at + NODE_MODULES.length - 1) });
    }
  }
  return found;
}

/** The file `require(name)` loads from that node_modules folder (the package's CommonJS entry), if it has one. */
function commonJsEntry(name: string, nodeModules: string): string | undefined {
  try {
    return createRequire(join(nodeModules, "agent-canary-resolve.js")).resolve(name);
  } catch {
    return undefined; // ESM only, or a layout resolution cannot reach
  }
}

/**
 * The require() hook only sees SDKs loaded after register(). A CommonJS app
 * that required an SDK before calling register() would otherwise run every
 * LLM call unrecorded, without a word; the copies of every SDK in
 * INSTRUMENTED_MODULES already in require.cache (by each package's CommonJS
 * entry) are patched here. ESM imports are not in that cache and cannot be
 * reached: they need the --import preload or instrumentation.instrument().
 * Returns the methods patched.
 */
export function instrumentLoadedSdks(instrumentation: AgentCanaryInstrumentation): string[] {
  const cache = createRequire(import.meta.url).cache;
  const patched: string[] = [];
  for (const { name, nodeModules } of loadedSdkPackages(Object.keys(cache)).values()) {
    const entry = commonJsEntry(name, nodeModules);
    const loaded = entry === undefined ? undefined : cache[entry];
    if (!loaded) continue;
    try {
      patched.push(...instrumentation.instrument(loaded.exports));
    } catch {
      // A layout instrument() does not know (an unsupported SDK version): the hook would skip it too.
    }
  }
  return patched;
}
