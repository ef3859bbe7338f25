/**
 * Decision quality by simulation: false rollbacks on identical versions (A/A)
 * and canary sessions needed to catch real regressions, for our recommended
 * gates and gate-rules' presets of the two source documents (gate-rules'
 * simulateRollout and evaluator), plus the second source's gate function as
 * written at its own cadence (session-cadence.ts).
 * Run alone: node src/decisions/main.ts [--aa-runs 600] [--runs 200]
 */
import { parseArgs } from "node:util";
import { parseGatesConfig, sessionModel, simulateRollout, type GatesConfig, type PresetName } from "@agent-canary/gate-rules";
import { fmt, pct, table, writeResult } from "../lib/report.ts";
import { quantile, wilson } from "../lib/stats.ts";
import { fixedSampleN, gateTolerance, NO_DIFFERENCE } from "./reference.ts";
import { CANARY_PERCENT, REGRESSIONS, SESSIONS_PER_MINUTE, type Regression } from "./scenarios.ts";
import { SECOND_SOURCE_CHECKS, simulateCadence } from "./session-cadence.ts";

const PRESETS: readonly PresetName[] = ["recommended", "second-source", "first-source"];
const DETECTION_HOURS = 48;
const CADENCE_AA_HORIZONS = [200, 500, 1000] as const;
const ALPHA = 0.01;

function configOf(preset: PresetName): GatesConfig {
  return parseGatesConfig(`deployments: [bench]\npreset: ${preset}\nevaluationInterval: 1m\nalpha: ${ALPHA}\n`, `preset ${preset}`);
}

function interval(successes: number, runs: number): string {
  const w = wilson(successes, runs);
  return `${pct(w.rate)} [${pct(w.low)}, ${pct(w.high)}]`;
}

function tally(names: (string | undefined)[]): string {
  const counts = new Map<string, number>();
  for (const n of names) if (n) counts.set(n, (counts.get(n) ?? 0) + 1);
  return [...counts].map(([k, v]) => `${k} ${v}`).join(", ") || "none";
}

/** A/A over the medium-risk plan (1% 4h, 5% 8h, 25% 24h, 50% 24h), every gate with action rollback, evaluated every minute. */
function aaEveryMinute(preset: PresetName, runs: number): string[] {
  const config = configOf(preset);
  const gates = config.gates.filter((g) => g.action === "rollback").map((g) => g.name);
  const model = sessionModel();
  const fired: (string | undefined)[] = [];
  for (let r = 0; r < runs; r++) {
    const res = simulateRollout({ config, baseline: model, canary: model, sessionsPerMinute: SESSIONS_PER_MINUTE, seed: 1000 + r, gates });
    fired.push(res.firing?.gate);
  }
  const count = fired.filter(Boolean).length;
  const hours = config.rollout.stages.reduce((s, st) => s + st.minDurationSeconds, 0) / 3600;
  const label = preset === "recommended" ? "ours: recommended" : `gate-rules ${preset} preset`;
  return [label, `rollback gates (${gates.join(", ")}) every minute over the ${hours} h medium plan`, String(runs), interval(count, runs), tally(fired)];
}

/** A/A under the second source's own cadence: cumulative data, a check every 10 canary sessions from 50 on, 5% canary. */
function aaCadence(runs: number): string[][] {
  const model = sessionModel();
  const firedAt: (number | undefined)[] = [];
  const names: (string | undefined)[] = [];
  const horizon = Math.max(...CADENCE_AA_HORIZONS);
  for (let r = 0; r < runs; r++) {
    const res = simulateCadence({ checks: SECOND_SOURCE_CHECKS, baseline: model, canary: model, canaryPercent: CANARY_PERCENT, horizonCanarySessions: horizon, checkEvery: 10, seed: 5000 + r });
    firedAt.push(res.firedAt);
    names.push(res.gate);
  }
  return CADENCE_AA_HORIZONS.map((h) => {
    const count = firedAt.filter((f) => f !== undefined && f <= h).length;
    const which = names.filter((_, i) => (firedAt[i] ?? Infinity) <= h);
    return ["second source, as written", `its gate function (point ratios; cost 1.30x, loops 3x, completion 0.85x) every 10 canary sessions from 50 on, cumulative, ${h} canary sessions at ${CANARY_PERCENT}%`, String(runs), interval(count, runs), tally(which)];
  });
}

interface Detection {
  cell: string;
  median: number;
}

function summarise(sessions: (number | undefined)[], runs: number, reference: number): Detection {
  const hits = sessions.filter((s): s is number => s !== undefined);
  if (hits.length === 0) return { cell: `never in ${runs} runs`, median: Number.NaN };
  const median = quantile(hits, 0.5);
  const detected = wilson(hits.length, runs);
  const ratio = median / reference;
  return { cell: `${fmt(median, 0)} (p90 ${fmt(quantile(hits, 0.9), 0)}; ${fmt(ratio, 2)}x ref; caught ${pct(detected.rate, 0)})`, median };
}

/** Canary sessions until the gate for the regressed metric fires, at a constant 5% for up to 48 h, evaluated every minute. */
function detectEveryMinute(preset: PresetName, regression: Regression, runs: number, reference: number): string {
  const config = configOf(preset);
  const gate = config.gates.find((g) => g.kind === regression.kind);
  if (!gate) return "no gate for this metric";
  const stages = [{ percent: CANARY_PERCENT, minDurationSeconds: DETECTION_HOURS * 3600, minSessionsPerArm: 0 }];
  const baseline = sessionModel();
  const canary = sessionModel(regression.canary);
  const sessions: (number | undefined)[] = [];
  for (let r = 0; r < runs; r++) {
    const res = simulateRollout({ config, baseline, canary, sessionsPerMinute: SESSIONS_PER_MINUTE, seed: 9000 + r, stages, gates: [gate.name] });
    sessions.push(res.firing?.canarySessions);
  }
  return `${summarise(sessions, runs, reference).cell} [${gate.action}]`;
}

function detectCadence(regression: Regression, runs: number, reference: number): string {
  const check = SECOND_SOURCE_CHECKS.find((c) => c.kind === regression.kind);
  if (!check) return "no check for this metric in its gate function";
  const sessions: (number | undefined)[] = [];
  for (let r = 0; r < runs; r++) {
    const res = simulateCadence({
      checks: [check],
      baseline: sessionModel(),
      canary: sessionModel(regression.canary),
      canaryPercent: CANARY_PERCENT,
      horizonCanarySessions: DETECTION_HOURS * 60 * SESSIONS_PER_MINUTE * (CANARY_PERCENT / 100),
      checkEvery: 10,
      seed: 13000 + r,
    });
    sessions.push(res.firedAt);
  }
  return `${summarise(sessions, runs, reference).cell} [rollback]`;
}

function detectionTable(runs: number): string {
  const recommended = configOf("recommended");
  const rows = REGRESSIONS.map((regression) => {
    const reference = fixedSampleN(regression, CANARY_PERCENT, ALPHA, NO_DIFFERENCE);
    const ours = recommended.gates.find((g) => g.kind === regression.kind);
    const atTolerance = ours ? fixedSampleN(regression, CANARY_PERCENT, ALPHA, gateTolerance(ours)) : Number.NaN;
    return [
      regression.title,
      fmt(reference, 0),
      ours ? `${fmt(atTolerance, 0)} (${ours.comparison} ${ours.threshold})` : "",
      detectEveryMinute("recommended", regression, runs, reference),
      detectCadence(regression, runs, reference),
      detectEveryMinute("second-source", regression, runs, reference),
      detectEveryMinute("first-source", regression, runs, reference),
    ];
  });
  return table(
    ["regression (canary vs baseline)", "fixed-sample n, null: no difference", "fixed-sample n, null: our gate's tolerance", "ours: recommended, every minute", "second source as written, its cadence", "gate-rules second-source preset, every minute", "first source, every minute"],
    rows,
  );
}

function main(): void {
  const { values } = parseArgs({ options: { "aa-runs": { type: "string", default: "600" }, runs: { type: "string", default: "200" } } });
  const aaRuns = Number(values["aa-runs"]);
  const runs = Number(values.runs);
  const started = Date.now();
  const aaRows = [...PRESETS.map((p) => aaEveryMinute(p, aaRuns)), ...aaCadence(Math.max(aaRuns, 1000))];
  const aa = table(["gates", "procedure", "runs", "false rollbacks [95% Wilson CI]", "gate that fired (runs)"], aaRows);
  const detection = detectionTable(runs);
  const minutes = ((Date.now() - started) / 60_000).toFixed(1);
  writeResult(
    "decisions",
    "Decision quality (simulated)",
    `Simulated agent: gate-rules' TYPICAL_AGENT session model (completion 92%, loops 0.5%, errors 1%, lognormal cost with median $0.04 and sigma 0.8, lognormal turns with median 6 and sigma 0.5). ` +
      `${SESSIONS_PER_MINUTE} sessions a minute in total (Poisson), routed at random by the stage's percent; gates evaluated by gate-rules' evaluateGate/simulateRollout over their rolling windows, with their \`for\`. ` +
      `False-alarm budget α = ${ALPHA} for the recommended preset. ` +
      `"Second source as written" is its gate function re-implemented literally in bench/ (point ratios on per-version totals, checked every 10 canary sessions from 50 on); gate-rules' \`second-source\` preset keeps its thresholds but its threshold_only test subtracts a continuity correction of half a session per arm, so it fires less often than the source's plain comparison. Whole run took ${minutes} min on the shared machine.\n\n` +
      `## A/A: identical versions, false rollbacks\n\nTarget: at most 1%.\n\n${aa}\n\n` +
      `## Regressions at ${CANARY_PERCENT}% canary: canary sessions until the gate for that metric fires\n\n` +
      `Median canary sessions to the first firing of the gate whose job it is (p90; median / fixed-sample n; share of ${runs} runs that caught it within ${DETECTION_HOURS} h = ${fmt(DETECTION_HOURS * 60 * SESSIONS_PER_MINUTE * 0.05, 0)} canary sessions); the gate's action in brackets. ` +
      `Target for ours: within 1.5x of the fixed-sample n. The fixed-sample n is what a single one-sided z test (α = 1%, power 95%, canary:baseline = 5:95) needs when its sample size is fixed in advance and it is looked at once; "ref" ratios use the no-difference null. The second reference tests the same question our gate asks (is the canary worse than its tolerance, e.g. cost ratio > 1.25): the gap between the two is the price of tolerating small changes, the gap between it and our median is the price of looking every minute plus minSamples and \`for\`.\n\n${detection}\n`,
  );
}

main();
