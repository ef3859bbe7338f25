import { mkdir, open, rename } from "node:fs/promises";
import { join } from "node:path";
import { FileStore, type AuditEntry, type RolloutState, type RolloutStore, type VersionRef } from "@agent-canary/rollout-state";

/** One stage as it was lived: how long, how many sessions, what the gates said. */
export interface StageRecord {
  index: number;
  percent: number;
  startedAt: string | null;
  endedAt: string;
  durationSeconds: number;
  /** Sessions per arm this stage, when a controller counted them (an operator's promotion or a receiver's rollback does not). */
  sessions?: { baseline: number; canary: number };
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
  rolloutId: string | null;
  /** Who wrote the ending transition: controller, cli:<user>, alertmanager:<fingerprint>, grafana:<uid>. */
  endedBy: string | null;
  baseline: VersionRef | null;
  canary: VersionRef | null;
  /** What changed from baseline to canary: the spec fields that differ; null when either spec is unknown (given as a bare hash). */
  changes: string[] | null;
  startedAt: string | null;
  endedAt: string;
  durationSeconds: number | null;
  stages: StageRecord[];
  transitions: AuditEntry[];
}

/** The versions as the rollout ran (a promotion replaces the baseline in the state). */
export type RolloutVersions = { baseline: VersionRef; canary: VersionRef | null };

function stageOf(entry: AuditEntry): StageRecord | undefined {
  const stage = entry.details?.stage;
  return stage && typeof stage === "object" ? (stage as StageRecord) : undefined;
}

/** Spec fields that differ between two versions, compared as JSON. */
function changedFields(baseline: VersionRef | null, canary: VersionRef | null): string[] | null {
  if (!baseline?.spec || !canary?.spec) return null;
  const a = baseline.spec as Record<string, unknown>;
  const b = canary.spec as Record<string, unknown>;
  const fields = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => k !== "label");
  return fields.filter((k) => JSON.stringify(a[k] ?? null) !== JSON.stringify(b[k] ?? null));
}

/**
 * The stage the rollout ended in, from the state before the ending transition, when
 * no controller recorded it (an operator's promotion or rollback, a receiver's rollback).
 */
function endingStage(previous: RolloutState | undefined, now: Date): StageRecord | undefined {
  if (!previous || previous.stage === null) return undefined;
  const started = previous.stageStartedAt ? Date.parse(previous.stageStartedAt) : Number.NaN;
  return {
    index: previous.stage,
    percent: previous.canaryPercent,
    startedAt: previous.stageStartedAt,
    endedAt: now.toISOString(),
    durationSeconds: Number.isFinite(started) ? Math.round((now.getTime() - started) / 1000) : 0,
  };
}

/**
 * Builds the record of the latest rollout from the audit log (from its `start` on), so a
 * restarted controller loses nothing. `previous` is the state before the ending transition:
 * its versions and, when the ending entry carries no stage, the stage it ended in.
 */
export async function buildDeploymentRecord(store: RolloutStore, deployment: string, outcome: string, now: Date, previous?: RolloutState | RolloutVersions): Promise<DeploymentRecord> {
  const log = await store.auditLog(deployment);
  const startIndex = log.findLastIndex((e) => e.action === "start");
  const transitions = startIndex < 0 ? log : log.slice(startIndex);
  const started = transitions[0]?.action === "start" ? transitions[0] : undefined;
  const state = await store.read(deployment);
  const startedAt = started?.at ?? null;
  const before = previous && "revision" in previous ? previous : undefined;
  // Without the versions as they began, a promoted state only tells the new baseline (the canary).
  const canary = previous?.canary ?? (state?.phase === "promoted" ? state.baseline : (state?.canary ?? null));
  const baseline = previous?.baseline ?? (state?.phase === "promoted" ? null : (state?.baseline ?? null));
  const ending = [...transitions].reverse().find((e) => e.outcome === undefined || e.outcome === "changed");
  const stages = transitions.flatMap((e) => stageOf(e) ?? []);
  const last = ending && stageOf(ending) ? undefined : endingStage(before, now);
  return {
    deployment,
    outcome,
    rolloutId: state?.rolloutId ?? null,
    endedBy: ending?.by ?? null,
    baseline,
    canary,
    changes: changedFields(baseline, canary),
    startedAt,
    endedAt: now.toISOString(),
    durationSeconds: startedAt ? Math.round((now.getTime() - Date.parse(startedAt)) / 1000) : null,
    stages: last ? [...stages, last] : stages,
    transitions,
  };
}

/** Writes the record as `<dir>/<deployment>-<ended at>.json` (temp file, fsync, rename). Returns its path. */
export async function archiveDeploymentRecord(dir: string, record: DeploymentRecord): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${record.deployment}-${record.endedAt.replace(/[:.]/g, "-")}.json`);
  const temp = `${path}.${process.pid}.tmp`;
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

/**
 * The one way every ending writes its record (controller, receiver, CLI, demo):
 * build it from the audit log and the state before the ending, then archive it.
 */
export async function writeDeploymentRecord(input: { store: RolloutStore; deployment: string; outcome: string; dir: string; now: Date; previous?: RolloutState | RolloutVersions }): Promise<string> {
  const record = await buildDeploymentRecord(input.store, input.deployment, input.outcome, input.now, input.previous);
  return archiveDeploymentRecord(input.dir, record);
}

/** Where records go by default: next to the state for a file store, ./rollout-records otherwise. */
export function defaultRecordsDir(store: RolloutStore): string {
  return store instanceof FileStore ? join(store.dir, "records") : "rollout-records";
}
