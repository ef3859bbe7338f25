import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { versionHash, type VersionSpec } from "@agent-canary/conventions";
import { AgentCanary, AgentCanaryInstrumentation } from "@agent-canary/instrumentation";
import { FileStore, start, transition } from "@agent-canary/rollout-state";
import { MODEL, SYSTEM_PROMPT, TOOLS } from "./canned.ts";
import type { OtelHandles } from "./otel-setup.ts";
import type { SessionWrap } from "./variants.ts";

const DEPLOYMENT = "bench-agent";
const tools = TOOLS.map((t) => ({ name: t.function.name, description: t.function.description, parameters: t.function.parameters }));
// Same model, prompt and tools (so calls match the declared version); the canary differs in a generation parameter.
const BASELINE: VersionSpec = { model: MODEL, systemPrompt: SYSTEM_PROMPT, tools, params: { temperature: 0.2 } };
const CANARY: VersionSpec = { ...BASELINE, params: { temperature: 0.3 } };

const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/** A real FileStore with a rollout at 5%, so every session goes through routing and pinning. */
async function seededStore(): Promise<FileStore> {
  const store = new FileStore({ dir: mkdtempSync(join(tmpdir(), "bench-ours-")) });
  await transition(
    store,
    DEPLOYMENT,
    start({
      deployment: DEPLOYMENT,
      baseline: { hash: versionHash(BASELINE) },
      canary: { hash: versionHash(CANARY) },
      stages: [{ percent: 5, minDurationSeconds: 3600, minSessionsPerArm: 0 }],
    }),
    { by: "bench", reason: "overhead benchmark" },
  );
  return store;
}

/** agent-canary wired as a user would on an existing OTel SDK: the runtime on the same providers, the SDK instrumented by hand. */
export async function oursRuntime(mod: unknown, otel: OtelHandles): Promise<{ inSession: SessionWrap; describe: string }> {
  const runtime = new AgentCanary({
    deployment: DEPLOYMENT,
    versions: { baseline: BASELINE, canary: CANARY },
    store: await seededStore(),
    guards: { mode: "enforce", budgetUsd: 5, maxTurns: 100 },
    tracerProvider: otel.tracerProvider,
    meterProvider: otel.meterProvider,
    logger: quiet,
  });
  // The module hook matches "openai"; our openai 6 copy is aliased, so instrument() patches it by hand (a public API).
  const instrumentation = new AgentCanaryInstrumentation({ logger: quiet });
  instrumentation.instrument(mod);
  return {
    inSession: (id, work) => runtime.session({ id }, () => work()),
    describe: "session with routing from a FileStore at 5%, loop + budget + max-turns guards on",
  };
}
