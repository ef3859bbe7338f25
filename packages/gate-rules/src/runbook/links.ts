import type { GateKind } from "../gates/kinds.js";

/**
 * The runbook every generated alert links to by default: RUNBOOK.md of this
 * package, which has a section per alert (a test checks every anchor exists).
 * Teams with their own runbooks set `runbookBaseUrl` and keep the same anchors.
 */
export const DEFAULT_RUNBOOK_URL = "https://github.com/agent-canary/agent-canary/blob/main/packages/gate-rules/RUNBOOK.md";

/** The runbook sections of the alerts that are not a gate's failure. */
export const RUNBOOK_ANCHORS = {
  blindGates: "blind-gates",
  notComparable: "not-comparable",
  shadowSimilarity: "shadow-similarity",
} as const;

export type RunbookAnchor = (typeof RUNBOOK_ANCHORS)[keyof typeof RUNBOOK_ANCHORS] | `gate-${string}`;

/** The section of a gate kind's failure alert, e.g. `gate-cost-per-session`. */
export function gateRunbookAnchor(kind: GateKind): RunbookAnchor {
  return `gate-${kind.replace(/_/g, "-")}`;
}

/** The `runbook_url` annotation of an alert. */
export function runbookUrl(config: { readonly runbookBaseUrl: string }, anchor: RunbookAnchor): string {
  return `${config.runbookBaseUrl}#${anchor}`;
}
