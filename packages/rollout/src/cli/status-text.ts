import { describeAuditEntry, type AuditEntry, type RolloutState } from "@agent-canary/rollout-state";

const version = (v: { hash: string; label?: string | undefined } | null) => (v ? `${v.hash}${v.label ? ` (${v.label})` : ""}` : "none");

/** A one-screen summary of a state: versions, capabilities, gates accepted for this rollout. */
export function describeState(state: RolloutState): string {
  const stage = state.stage === null ? "no stage" : `stage ${state.stage + 1} of ${state.stages.length}`;
  const lines = [
    `deployment ${state.deployment}  revision ${state.revision}  phase ${state.phase}  canary ${state.canaryPercent}% (${stage})`,
    `  baseline ${version(state.baseline)}  canary ${version(state.canary)}${state.rolloutId ? `  rollout ${state.rolloutId}` : ""}`,
  ];
  const capabilities = Object.entries(state.capabilities);
  if (capabilities.length) lines.push(`  capabilities ${capabilities.map(([name, c]) => `${name}=${c.enabled ? `${c.percent}%` : `off (${c.percent}% when on)`}`).join(", ")}`);
  const accepted = Object.entries(state.acceptedGates);
  if (accepted.length) lines.push(`  accepted undecided gates ${accepted.map(([gate, a]) => `${gate} (by ${a.by}: ${a.reason})`).join(", ")}`);
  const last = state.lastTransition;
  if (last) lines.push(`  last: ${last.action} by ${last.by} at ${last.at}: ${last.reason}`);
  return `${lines.join("\n")}\n`;
}

/** A change that moved the phase but not the percent says so, rather than "hold 1%→1%". */
function changedText(entry: AuditEntry): string {
  const head = `r${entry.toRevision} ${entry.at}`;
  const tail = `by ${entry.by}: ${entry.reason}`;
  if (entry.action === "accept") return `${head} accepted undecided gate ${String(entry.details?.gate ?? "?")} for this rollout ${tail}`;

  if (!entry.capability && entry.fromPercent === entry.toPercent && entry.fromPhase !== entry.toPhase) {
    return `${head} ${entry.action} ${entry.fromPhase ?? "?"}→${entry.toPhase} at ${entry.toPercent}% ${tail}`;
  }
  return describeAuditEntry(entry);
}

const changed = (e: AuditEntry) => e.outcome === undefined || e.outcome === "changed";

/** The controller's early estimate: which gate cannot decide at this traffic (it changes nothing). */
function outlookText(entry: AuditEntry): string {
  return `r${entry.toRevision} ${entry.at} outlook at ${entry.toPercent}% by ${entry.by}: ${entry.reason}`;
}

/** Entries that changed nothing and say the same thing (action, outcome, writer, reason, capability) back to back. */
function sameEvent(a: AuditEntry, b: AuditEntry): boolean {
  return !changed(a) && !changed(b) && a.action === b.action && a.outcome === b.outcome && a.by === b.by && a.reason === b.reason && a.capability?.name === b.capability?.name && a.toPercent === b.toPercent;
}

/**
 * The audit entries as `rollout status` lists them, oldest first: a change
 * reads as a change, an alert that changed nothing (duplicate, resolved,
 * stale, about another rollout) says so, and a run of identical entries (an
 * alert re-sent every few minutes) is one line with its count and time span.
 */
export function auditLines(entries: readonly AuditEntry[]): string[] {
  const lines: string[] = [];
  for (let i = 0; i < entries.length; ) {
    const first = entries[i] as AuditEntry;
    let j = i + 1;
    while (j < entries.length && sameEvent(first, entries[j] as AuditEntry)) j++;
    const text = first.action === "outlook" ? outlookText(first) : changed(first) ? changedText(first) : describeAuditEntry(first);
    const count = j - i;
    lines.push(count > 1 ? `${text} (×${count}, until ${(entries[j - 1] as AuditEntry).at})` : text);
    i = j;
  }
  return lines;
}
