import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/** Where every copy of @opentelemetry/api 1.x keeps the process's registered SDK. */
const GLOBAL_API_KEY = Symbol.for("opentelemetry.js.api.1");

interface GlobalApi {
  version?: string;
  trace?: unknown;
  metrics?: unknown;
}

function globalApi(): GlobalApi | undefined {
  return (globalThis as Record<symbol, GlobalApi | undefined>)[GLOBAL_API_KEY];
}

/** The version of the @opentelemetry/api copy agent-canary imports. */
export function ownApiVersion(): string | undefined {
  try {
    let dir = dirname(createRequire(import.meta.url).resolve("@opentelemetry/api"));
    for (let i = 0; i < 4; i++, dir = dirname(dir)) {
      try {
        const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: string; version?: string };
        if (pkg.name === "@opentelemetry/api") return pkg.version;
      } catch {
        // not this directory
      }
    }
  } catch {
    // not resolvable from here (a bundle): nothing to compare
  }
  return undefined;
}

/** Whether an API of `own` version reads a global registered by `registered` (the rule of @opentelemetry/api 1.x). */
function readable(own: string, registered: string): boolean {
  const [oMajor, oMinor] = own.split(".").map(Number);
  const [rMajor, rMinor] = registered.split(".").map(Number);
  return oMajor === rMajor && (oMinor ?? 0) <= (rMinor ?? 0);
}

/**
 * A second, incompatible copy of @opentelemetry/api: the app's SDK registered
 * its providers with an older API than the one agent-canary imports, and
 * OpenTelemetry then hands agent-canary no-op providers: every span and metric
 * recorded through the app's SDK would vanish without a word. Says so, naming
 * both versions and the fix; undefined when there is no conflict.
 */
export function apiVersionConflict(): string | undefined {
  const registered = globalApi()?.version;
  const own = ownApiVersion();
  if (!registered || !own || readable(own, registered)) return undefined;
  return (
    `OpenTelemetry API version conflict: the app's SDK registered @opentelemetry/api ${registered}, but agent-canary loads its own copy ${own}, ` +
    `which ignores a global registered by an older API, so agent-canary's spans and metrics would be lost. ` +
    `Give the app one @opentelemetry/api >= ${own} (agent-canary takes it as a peer dependency; npm ls @opentelemetry/api shows the copies), ` +
    "or let agent-canary run its own SDK (startSdk: true)."
  );
}

/** Whether another SDK already registered global providers (the app's own OpenTelemetry setup). */
export function otherSdkRegistered(): boolean {
  const api = globalApi();
  return Boolean(api?.trace || api?.metrics);
}
