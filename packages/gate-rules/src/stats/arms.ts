import { SESSION_OUTCOMES, type SessionOutcome, type VersionGroup } from "@agent-canary/conventions";

/** Count, sum and sum of squares of a per-session value over a window; buckets are cumulative (le → count). */
export interface Moments {
  count: number;
  sum: number;
  sumSquares: number;
  buckets?: { le: number; count: number }[];
}

/** What one arm (baseline or canary) did over one window: the same numbers the Prometheus counters give. */
export interface ArmStats {
  /** Sessions ended, all outcomes. */
  sessions: number;
  outcomes: Partial<Record<SessionOutcome, number>>;
  loopingSessions: number;
  unsafeSessions: number;
  cost: Moments;
  turns: Moments;
  duration: Moments;
  quality: Moments;
}

export interface ArmPair {
  baseline: ArmStats;
  canary: ArmStats;
}

/** The per-session values a session contributes, as the instrumentation records them at session end. */
export interface SessionRecord {
  group: VersionGroup;
  outcome: SessionOutcome;
  costUsd: number;
  turns: number;
  durationSeconds: number;
  /** The loop detector tripped at least once. */
  looped: boolean;
  /** At least one safety violation. */
  unsafe: boolean;
  /** Judge score in [0, 1] when the session was scored. */
  qualityScore?: number | undefined;
}

export type MomentField = "cost" | "turns" | "duration" | "quality";

/** Histogram bucket boundaries per value, when p95 figures are wanted. */
export type BucketBoundaries = Partial<Record<MomentField, readonly number[]>>;

function emptyMoments(boundaries: readonly number[] | undefined): Moments {
  const m: Moments = { count: 0, sum: 0, sumSquares: 0 };
  if (boundaries) m.buckets = [...boundaries, Number.POSITIVE_INFINITY].map((le) => ({ le, count: 0 }));
  return m;
}

export function emptyArm(boundaries: BucketBoundaries = {}): ArmStats {
  return {
    sessions: 0,
    outcomes: {},
    loopingSessions: 0,
    unsafeSessions: 0,
    cost: emptyMoments(boundaries.cost),
    turns: emptyMoments(boundaries.turns),
    duration: emptyMoments(boundaries.duration),
    quality: emptyMoments(boundaries.quality),
  };
}

function observe(m: Moments, value: number): void {
  m.count += 1;
  m.sum += value;
  m.sumSquares += value * value;
  for (const bucket of m.buckets ?? []) if (value <= bucket.le) bucket.count += 1;
}

/** Adds one ended session to an arm, exactly as the metrics would count it. */
export function addSession(arm: ArmStats, s: SessionRecord): void {
  arm.sessions += 1;
  arm.outcomes[s.outcome] = (arm.outcomes[s.outcome] ?? 0) + 1;
  if (s.looped) arm.loopingSessions += 1;
  if (s.unsafe) arm.unsafeSessions += 1;
  observe(arm.cost, s.costUsd);
  observe(arm.turns, s.turns);
  observe(arm.duration, s.durationSeconds);
  if (s.qualityScore !== undefined) observe(arm.quality, s.qualityScore);
}

/** Arm inputs from raw session records (the embedded mode has no Prometheus). */
export function armsFromSessions(records: Iterable<SessionRecord>, boundaries: BucketBoundaries = {}): ArmPair {
  const arms: ArmPair = { baseline: emptyArm(boundaries), canary: emptyArm(boundaries) };
  for (const record of records) {
    if (!(SESSION_OUTCOMES as readonly string[]).includes(record.outcome)) throw new Error(`session outcome "${record.outcome}" is not one of ${SESSION_OUTCOMES.join(", ")}`);
    addSession(arms[record.group], record);
  }
  return arms;
}
