import type { GatesConfigInput } from "@agent-canary/gate-rules";

export const DEPLOYMENT = "support-agent";

/**
 * The gates the end-to-end suite runs: the recommended preset, compressed so a
 * regression shows within a minute of fleet traffic. Prometheus scrapes and
 * evaluates every second, so the increments use a 10-second range; every gate
 * compares the rollout so far (well inside a one-hour look-back); `for` asks for
 * a couple of consecutive failing evaluations, as in production.
 */
export function e2eGatesConfig(receiverUrl: string, credentialsFile: string): GatesConfigInput {
  const compressed = { for: "2s" } as const;
  return {
    deployments: [DEPLOYMENT],
    export: "prometheus",
    evaluationInterval: "1s",
    rateRange: "10s",
    lookback: "1h",
    preset: "recommended",
    gates: [
      { kind: "cost_per_session", name: "cost", ...compressed, minSamples: 30 },
      { kind: "loop_rate", name: "loops", ...compressed, minSamples: 40 },
      { kind: "task_completion_rate", name: "completion", ...compressed, minSamples: 40 },
      { kind: "turns_per_session", name: "turns", ...compressed, minSamples: 30 },
      { kind: "error_rate", name: "errors", ...compressed, minSamples: 40 },
      { kind: "session_duration", name: "latency", ...compressed, minSamples: 40 },
      { kind: "judge_quality", name: "quality", ...compressed, minSamples: 40 },
      { kind: "safety_violations", name: "safety", ...compressed, minSamples: 40 },
    ],
    receiver: { url: receiverUrl, credentialsFile },
    alertmanager: { groupWait: "0s", groupInterval: "1s", repeatInterval: "1m" },
  };
}
