import { readFileSync } from "node:fs";
import type { AuditEntry, RolloutState, RolloutStore } from "@agent-canary/rollout-state";
import { selfIdentity, startTimeFromStat } from "../src/file/lock-owner.js";
import { setPercent, start, stagesFrom, transition, DEFAULT_STAGE_PERCENTS } from "@agent-canary/rollout-state";

export const BASELINE = { hash: "00000000000000aa", label: "v1" };
export const CANARY = { hash: "00000000000000bb", label: "v2" };

/** Creates the deployment's first state through the same path the CLI uses. */
export async function seed(store: RolloutStore, deployment: string): Promise<RolloutState> {
  const result = await transition(
    store,
    deployment,
    start({ deployment, baseline: BASELINE, canary: CANARY, stages: stagesFrom(DEFAULT_STAGE_PERCENTS, 60, 10) }),
    { by: "test", reason: "seed" },
  );
  if (result.status !== "changed") throw new Error(`seed did not change the state: ${result.reason}`);
  return result.state;
}

/** Raises the percent by one (mod 100), so every call is a real transition; returns the new revision. */
export async function bumpPercent(store: RolloutStore, deployment: string, by: string): Promise<number> {
  const result = await transition(store, deployment, (state, now) => {
    const next = ((state?.canaryPercent ?? 0) + 1) % 100;
    return setPercent(deployment, next)(state, now);
  }, { by, reason: "bump" });
  if (result.status !== "changed") throw new Error(`bump did not change the state: ${result.reason}`);
  return result.state.revision;
}

/** What the receiver records for an alert that changes nothing (a duplicate): a no-change entry for record(). */
export function duplicateAlertEntry(state: RolloutState): AuditEntry {
  return { at: state.updatedAt, by: "am", action: "rollback", outcome: "duplicate", toPhase: state.phase, toPercent: state.canaryPercent, reason: "again", deployment: state.deployment, fromRevision: 0, toRevision: 0 };
}

/** pid 2^22+1 is above Linux's pid_max default range, so no live process has it. */
export const DEAD_PID = 2 ** 22 + 1;

/** Lock content naming `pid` as this host and PID namespace would (start time read from /proc unless given). */
export function ownerLock(pid: number, overrides: Record<string, unknown> = {}): string {
  const start = overrides.start ?? startTimeFromStat(readFileSync(`/proc/${pid}/stat`, "utf8"));
  return `${JSON.stringify({ v: 2, token: "0123456789abcdef01234567", ...selfIdentity(), pid, start, ...overrides })}\n`;
}

/** Process warnings (message and code) emitted while `work` runs; emitWarning delivers on a later tick. */
export async function warningsDuring(work: () => Promise<unknown>): Promise<{ message: string; code: string | undefined }[]> {
  const warnings: { message: string; code: string | undefined }[] = [];
  const onWarning = (warning: Error & { code?: string }) => warnings.push({ message: warning.message, code: warning.code });
  process.on("warning", onWarning);
  try {
    await work();
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off("warning", onWarning);
  }
  return warnings;
}
