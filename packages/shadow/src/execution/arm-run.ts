import type { SpanContext } from "@opentelemetry/api";
import type { AgentAnswer, ShadowRole, Toolset } from "../run/agent.js";
import type { ProductionWrites } from "../run/read-after-write.js";
import type { RunRecord } from "../run/run-record.js";
import { RunTracker } from "../run/run-tracker.js";
import { endArmSpan, withArmSpan, type ArmIdentity, type SpanRequest } from "../telemetry/shadow-spans.js";
import type { ResolvedArm } from "./options.js";

export interface ArmRunSettings {
  readonly deployment: string;
  readonly tools: Toolset;
  readonly dryRunResult: (tool: string, args: unknown) => unknown;
  readonly onIntercept?: ((tool: string) => void) | undefined;
  /** Replay re-runs production only when no run was recorded, and then it must not write either. */
  readonly interceptProductionWrites?: boolean | undefined;
  /** One per live request: the keys production really wrote, for the candidate's reads. */
  readonly productionWrites?: ProductionWrites | undefined;
  readonly keepInputs: boolean;
}

/** What one arm did, and the span it did it in (for links). */
export interface ArmTrace {
  readonly record: RunRecord;
  readonly spanContext: SpanContext;
}

/** Production's run: its trace, and the agent's own answer (unchanged) or what it threw. */
export type ArmRunResult<O> = ArmTrace & (
  | { readonly ok: true; readonly answer: O }
  | { readonly ok: false; readonly thrown: unknown }
);

export function identity<I, O extends AgentAnswer | string>(arm: ResolvedArm<I, O>, deployment: string): ArmIdentity {
  return { deployment, versionHash: arm.versionHash, agentName: arm.name };
}

/** Production: runs to completion in the caller's trace; what it throws is the caller's to see. */
export function runProduction<I, O extends AgentAnswer | string>(
  arm: ResolvedArm<I, O>,
  settings: ArmRunSettings,
  input: I,
  request: SpanRequest,
  onSpanStart?: (context: SpanContext) => void,
): Promise<ArmRunResult<O>> {
  return withArmSpan("production", identity(arm, settings.deployment), request, undefined, async (span) => {
    onSpanStart?.(span.spanContext());
    const tracker = tracked("production", settings);
    try {
      const answer = await arm.run(input, tracker);
      const record = tracker.finish(arm.versionHash, answer);
      endArmSpan(span, record);
      return { ok: true, record, answer, spanContext: span.spanContext() };
    } catch (thrown) {
      const record = tracker.fail(arm.versionHash, "error", thrown);
      endArmSpan(span, record);
      return { ok: false, record, thrown, spanContext: span.spanContext() };
    }
  });
}

export function tracked(role: ShadowRole, settings: ArmRunSettings): RunTracker {
  return new RunTracker({
    role,
    tools: settings.tools,
    interceptWrites: role === "candidate" || settings.interceptProductionWrites === true,
    dryRunResult: settings.dryRunResult,
    onIntercept: role === "candidate" ? settings.onIntercept : undefined,
    productionWrites: settings.productionWrites,
    keepInputs: settings.keepInputs,
  });
}
