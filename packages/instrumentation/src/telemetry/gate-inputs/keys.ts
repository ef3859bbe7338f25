import type { MetricKey } from "@agent-canary/conventions";

/**
 * The catalog metrics the gates compare (the ones labelled by stratum). They
 * are kept in GateInputs' own cumulative counts and exported from there, never
 * through SDK instruments, so every series exists from 0 and the series of a
 * rollout that ended can be dropped (see GateInputs).
 */
export const GATE_INPUT_KEYS = [
  "sessions",
  "loopingSessions",
  "unsafeSessions",
  "unobservedSessions",
  "gateObservations",
  "gateValue",
  "gateValueSquared",
] as const satisfies readonly MetricKey[];
export type GateInputKey = (typeof GATE_INPUT_KEYS)[number];

const GATE_INPUT_KEY_SET: ReadonlySet<string> = new Set(GATE_INPUT_KEYS);

export function isGateInputKey(key: string): key is GateInputKey {
  return GATE_INPUT_KEY_SET.has(key);
}
