import type { AuditEntry } from "./schema.js";

/** A capability's state in words: "off at 0%", "on at 25%". */
function capabilityText(enabled: boolean, percent: number): string {
  return `${enabled ? "on" : "off"} at ${percent}%`;
}

/** What an entry changed, or would have: "rollback 25%→0%", "start →1%", "capability refunds off at 0% (was on at 25%)". */
function changeText(entry: AuditEntry): string {
  const { capability } = entry;
  if (capability) {
    const before = capability.fromEnabled === undefined ? "" : ` (was ${capabilityText(capability.fromEnabled, capability.fromPercent ?? capability.percent)})`;
    return `capability ${capability.name} ${capabilityText(capability.enabled, capability.percent)}${before}`;
  }
  return `${entry.action} ${entry.fromPercent === undefined ? "" : `${entry.fromPercent}%`}→${entry.toPercent}%`;
}

/**
 * One audit entry in a line, as `rollout status` lists them. An alert that changed nothing
 * (a duplicate delivery, a resolved alert, one about another or an earlier rollout) says so
 * rather than reading as a transition: "rollback 1%→1%" 288 times a day looked like rollbacks.
 */
export function describeAuditEntry(entry: AuditEntry): string {
  const head = `r${entry.toRevision} ${entry.at}`;
  const tail = `by ${entry.by}: ${entry.reason}`;
  if (entry.outcome === undefined || entry.outcome === "changed") return `${head} ${changeText(entry)} ${tail}`;
  const subject = entry.capability ? `capability ${entry.capability.name}` : entry.action;
  const now = entry.capability ? capabilityText(entry.capability.enabled, entry.capability.percent) : `canary ${entry.toPercent}%`;
  return `${head} ${subject} alert ${entry.outcome.replace("_", " ")}, nothing changed (${now}) ${tail}`;
}
