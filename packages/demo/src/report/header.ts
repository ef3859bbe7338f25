import { versionHash, type VersionSpec } from "@agent-canary/conventions";
import { KIND_SPECS, type GatesConfig } from "@agent-canary/gate-rules";
import type { Stage } from "@agent-canary/rollout-state";
import type { Scenario } from "../scenarios.js";
import { formatPercent, formatSimulated } from "./format.js";

function version(spec: VersionSpec): string {
  return `${versionHash(spec)} (${spec.label ?? "unlabelled"}, ${spec.model})`;
}

function plan(stages: readonly Stage[]): string {
  const steps = stages.map((s) => `${formatPercent(s.percent)}${s.minDurationSeconds ? ` ${formatSimulated(s.minDurationSeconds).replace(/h00m$/, "h")}` : ""}`);
  return `${steps.join(" → ")}; at least ${stages.map((s) => s.minSessionsPerArm).join("/")} sessions per arm`;
}

function gates(config: GatesConfig): string {
  return config.gates
    .map((g) => {
      const harm = KIND_SPECS[g.kind].harm === "higher" ? "≤" : "≥";
      const tolerance = g.comparison === "ratio" ? `${harm}${g.threshold}x` : `${harm}${harm === "≤" ? "+" : "-"}${g.threshold}`;
      return `${g.name} ${tolerance}${g.action === "hold" ? " (hold)" : ""}`;
    })
    .join(", ");
}

/** What is about to run, so the timeline that follows can be read without the source. */
export function scenarioHeader(scenario: Scenario, config: GatesConfig, baseline: VersionSpec, canary: VersionSpec, clockText: string): string[] {
  const lookback = config.lookback;
  return [
    "",
    `━━ scenario "${scenario.name}": ${scenario.story}`,
    `   baseline ${version(baseline)} → canary ${version(canary)}`,
    `   plan: ${plan(config.rollout.stages)}`,
    `   gates (${config.preset} preset, the rollout so far up to ${lookback}, per canary percent): ${gates(config)}`,
    `   ${clockText}`,
    `   expected: ${scenario.expect === "promoted" ? "promoted" : "rolled back"}`,
    "",
  ];
}
