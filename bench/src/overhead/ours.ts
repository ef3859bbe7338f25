import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { versionHash, type VersionSpec } from "@agent-canary/conventions";
import { AgentCanary, AgentCanaryInstrumentation } from "@agent-canary/instrumentation";
import { FileStore, start, transition } from "@agent-canary/rollout-state";
import { SYSTEM_PROMPT, TOOLS } from "./canned.ts";
import type { OtelHandles } from "./otel-setup.ts";
import type { SessionWrap } from "./variants.ts";

const DEPLOYMENT = "bench-agent";
const tools = TOOLS.map((t) => ({ name: t.function.name, description: t.function.description, parameters: t.function.parameters }));

/** The version a stack's calls send: same prompt and tools, the stack's model (so calls match it); the canary differs in a param. */
export function benchVersions(model: string, params: Record<string, unknown> = { temperature: 0.2 }): { baseline: VersionSpec; canary: VersionSpec } {
  const baseline: VersionSpec = { model, systemPrompt: SYSTEM_PROMPT, tools, params };
  return { baseline, canary: { ...baseline, params: { ...params, canary: true } } };
}

const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/** A real FileStore with a rollout at 5%, so every session goes through routing and pinning. */
async function seededStore(versions: { baseline: VersionSpec; canary: VersionSpec }): Promise<FileStore> {
  const store = new FileStore({ dir: mkdtempSync(join(tmpdir(), "bench-ours-")) });
  await transition(
    store,
    DEPLOYMENT,
    start({
      deployment: DEPLOYMENT,
      baseline: { hash: versionHash(versions.baseline) },
      canary: { hash: versionHash(versions.canary) },
      stages: [{ percent: 5, minDurationSeconds: 3600, minSessionsPerArm: 0 }],
    }),
    { by: "bench", reason: "overhead benchmark" },
  );
  return store;
}

/**
 * agent-canary wired as a user would on an existing OTel SDK: the runtime on
 * the same providers, the SDK (or `ai` module) instrumented by hand. `sdk`
 * undefined: nothing is patched (the GenAI-span path).
 */
export async function oursRuntime(sdk: unknown, otel: OtelHandles, model: string, params?: Record<string, unknown>): Promise<{ inSession: SessionWrap; describe: string }> {
  const versions = benchVersions(model, params);
  const runtime = new AgentCanary({
    deployment: DEPLOYMENT,
    versions,
    store: await seededStore(versions),
    guards: { mode: "enforce", budgetUsd: 5, maxTurns: 100 },
    tracerProvider: otel.tracerProvider,
    meterProvider: otel.meterProvider,
    logger: quiet,
  });
  // Module hooks match the package names; bench copies are aliased (openai6) or loaded before, so instrument() patches them (a public API).
  if (sdk !== undefined) new AgentCanaryInstrumentation({ logger: quiet, enabled: false }).instrument(sdk);
  return {
    inSession: (id, work) => runtime.session({ id }, () => work()),
    describe: "session with routing from a FileStore at 5%, loop + budget + max-turns guards on",
  };
}
