import type { GatesConfigInput } from "@agent-canary/gate-rules";

export const DEPLOYMENT = "support-agent";

/**
 * The gates the end-to-end suite runs: the recommended preset, compressed so a
 * regression shows within a minute of fleet traffic. Prometheus scrapes and
 * evaluates every second; windows cover the whole test (the canary's series
 * only exist since the test began, so a window is a growing sample); `for`
 * asks for a couple of consecutive failing evaluations, as in production.
 */
export function e2eGatesConfig(receiverUrl: string, credentialsFile: string): GatesConfigInput {
  const compressed = { window: "10m", for: "2s" } as const;
  return {
    deployments: [DEPLOYMENT],
    export: "prometheus",
    evaluationInterval: "1s",
    preset: "recommended",
    horizon: "10m",
    gates: [
      { kind: "cost_per_session", name: "cost", ...compressed, minSamples: 30 },
      { kind: "loop_rate", name: "loops", ...compressed, minSamples: 40 },
      { kind: "task_completion_rate", name: "completion", ...compressed, minSamples: 40 },
      { kind: "p95_turns", name: "turns", ...compressed, minSamples: 30 },
      { kind: "error_rate", name: "errors", ...compressed, minSamples: 40 },
      { kind: "p95_latency", name: "latency", ...compressed, minSamples: 40 },
      { kind: "judge_quality", name: "quality", ...compressed, minSamples: 40 },
      { kind: "safety_violations", name: "safety", ...compressed, minSamples: 40 },
    ],
    receiver: { url: receiverUrl, credentialsFile },
    alertmanager: { groupWait: "0s", groupInterval: "1s", repeatInterval: "1m" },
  };
}
