import { tmpdir } from "node:os";
import { join } from "node:path";
import { BASELINE_VERSION } from "@agent-canary/example-support-agent";
import type { VersionSpec } from "@agent-canary/conventions";
import { GatesConfigInputSchema, PRESETS, resolveConfig, ROLLOUT_PLANS, type GatesConfig, type GatesConfigInput } from "@agent-canary/gate-rules";
import type { Stage } from "@agent-canary/rollout-state";

export const DEPLOYMENT = "support-agent";

/** Where the demo's deployment records go (the controller's, and with --stack the receiver's). */
export const DEMO_RECORDS_DIR = join(tmpdir(), "agent-canary-demo-records");

/** The version in production: the example agent as it ships. */
export const DEMO_BASELINE: VersionSpec = BASELINE_VERSION;

/**
 * The candidate: the same agent pinned to a dated model snapshot (same price
 * per token). What it does differently is up to the scenario, which tells the
 * scripted model server how that snapshot behaves.
 */
export const DEMO_CANARY: VersionSpec = {
  ...BASELINE_VERSION,
  model: "gpt-4o-mini-2024-07-18",
  label: "support v42 (pinned snapshot)",
};

/**
 * Simulated seconds per real second at --speed 1: four hours of rollout per
 * second, so the medium-risk plan (1% 4h → 5% 8h → 25% 24h → 50% 24h → 100%)
 * takes about 15 s of stage time.
 */
export const BASE_TIME_FACTOR = 4 * 3600;

/**
 * The demo's fleet runs about forty sessions a second on a small machine, which
 * at 1% is one canary session every two or three seconds. The plan's minimum sessions per arm
 * are scaled by this much so the early stages do not wait a minute for a
 * handful of canary sessions. The gates keep the preset's own minimum samples:
 * the statistics are not scaled, only the patience of the stages.
 */
export const SESSION_SCALE = 0.02;

/**
 * The medium-risk plan, its session minimums scaled for the demo's fleet. The
 * controller itself keeps the canary below 100% until every gate has had the
 * sessions to judge it, so the scaling cannot promote an unjudged canary.
 */
export function demoStages(): Stage[] {
  return ROLLOUT_PLANS.medium.map((stage) => ({ ...stage, minSessionsPerArm: Math.ceil(stage.minSessionsPerArm * SESSION_SCALE) }));
}

export interface DemoConfigOptions {
  /** --stack: Prometheus evaluates in real time, so `for` and the evaluation interval are real seconds. */
  realTime?: { evaluationInterval: string; for: string };
  receiverUrl?: string;
  credentialsFile?: string;
}

/**
 * The gates the demo runs: the recommended preset's thresholds, minimum
 * samples, actions and `for` over the demo's plan; every gate compares the
 * rollout so far (the demo's plan is far inside the default 7-day look-back).
 * With a real Prometheus (--stack), `for` and the evaluation interval are
 * shortened so the alert path does not wait minutes of real time.
 */
export function demoGatesInput(options: DemoConfigOptions = {}): GatesConfigInput {
  const stages = demoStages();
  const input: GatesConfigInput = {
    deployments: [DEPLOYMENT],
    export: "prometheus",
    preset: "recommended",
    rollout: { stages },
    gates: PRESETS.recommended.map((gate) => ({
      kind: gate.kind,
      name: gate.name,
      ...(options.realTime ? { for: options.realTime.for } : {}),
    })),
  };
  if (options.realTime) {
    input.evaluationInterval = options.realTime.evaluationInterval;
    input.alertmanager = { groupWait: "0s", groupInterval: "1s", repeatInterval: "1m" };
  }
  if (options.receiverUrl) input.receiver = { url: options.receiverUrl, credentialsFile: options.credentialsFile ?? "receiver-token" };
  return input;
}

/** Resolves the demo's gate config; a failure here is a bug in the demo, reported with every issue. */
export function demoGatesConfig(options: DemoConfigOptions = {}): GatesConfig {
  const resolved = resolveConfig(GatesConfigInputSchema.parse(demoGatesInput(options)));
  if ("issues" in resolved) {
    throw new Error(`internal: the demo's gate config is invalid: ${resolved.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  }
  return resolved.config;
}
