import { mkdir, open, rename } from "node:fs/promises";
import { join } from "node:path";
import type { AuditEntry, RolloutStore, VersionRef } from "@agent-canary/rollout-state";

/** One stage as it was lived: how long, how many sessions, what the gates said. */
export interface StageRecord {
  index: number;
  percent: number;
  startedAt: string | null;
  endedAt: string;
  durationSeconds: number;
  sessions: { baseline: number; canary: number };
  values?: Record<string, number>;
  firing?: { name: string; action: string }[];
  /** Each gate's verdict when the stage ended (and whether an operator accepted it undecided). */
  verdicts?: Record<string, { verdict: string; accepted?: true; value?: number }>;
  /** What the controller estimated early in the stage: sessions and hours each required gate still needed. */
  outlook?: { gate: string; canarySessions: number; hours: number; decidable: boolean }[];
}

/** The archived story of one rollout, for retrospectives and deployment-velocity tracking. */
export interface DeploymentRecord {
  deployment: string;
  outcome: string;
  baseline: VersionRef | null;
  canary: VersionRef | null;
  startedAt: string | null;
  endedAt: string;
  durationSeconds: number | null;
  stages: StageRecord[];
  transitions: AuditEntry[];
}

function stageOf(entry: AuditEntry): StageRecord | undefined {
  const stage = entry.details?.stage;
  return stage && typeof stage === "object" ? (stage as StageRecord) : undefined;
}

/** Builds the record of the latest rollout from the audit log (from its `start` on), so a restarted controller loses nothing. */
export async function buildDeploymentRecord(
  store: RolloutStore,
  deployment: string,
  outcome: string,
  now: Date,
  /** The versions as the rollout began (a promotion replaces the baseline in the state). */
  versions?: { baseline: VersionRef; canary: VersionRef | null },
): Promise<DeploymentRecord> {
  const log = await store.auditLog(deployment);
  const startIndex = log.findLastIndex((e) => e.action === "start");
  const transitions = startIndex < 0 ? log : log.slice(startIndex);
  const started = transitions[0]?.action === "start" ? transitions[0] : undefined;
  const state = await store.read(deployment);
  const startedAt = started?.at ?? null;
  // Without the versions as they began, a promoted state only tells the new baseline (the canary).
  const canary = versions?.canary ?? (state?.phase === "promoted" ? state.baseline : (state?.canary ?? null));
  const baseline = versions?.baseline ?? (state?.phase === "promoted" ? null : (state?.baseline ?? null));
  return {
    deployment,
    outcome,
    baseline,
    canary,
    startedAt,
    endedAt: now.toISOString(),
    durationSeconds: startedAt ? Math.round((now.getTime() - Date.parse(startedAt)) / 1000) : null,
    stages: transitions.flatMap((e) => stageOf(e) ?? []),
    transitions,
  };
}

/** Writes the record as `<dir>/<deployment>-<ended at>.json` (temp file, fsync, rename). Returns its path. */
export async function archiveDeploymentRecord(dir: string, record: DeploymentRecord): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${record.deployment}-${record.endedAt.replace(/[:.]/g, "-")}.json`);
  const temp = `${path}.tmp`;
  const handle = await open(temp, "w");
  try {
    await handle.writeFile(`${JSON.stringify(record, null, 2)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, path);
  return path;
}
