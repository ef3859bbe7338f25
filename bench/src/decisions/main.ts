/**
 * Decision quality by simulation (issue 10): false holds and rollbacks on
 * identical versions under production-like traffic, each gate at its
 * tolerance, detection of real regressions against fixed-sample floors, and
 * the time an identical canary takes to pass. Sessions are labelled as the
 * agents label them (rollout, canary percent, assignment), go through the
 * recording rules' input layer (gate-rules' RolloutLedger, checked equal to the
 * rules by the differential test) and are judged every minute by the formulas
 * the rules evaluate.
 * Run alone: node src/decisions/main.ts [--long] [--scale 0.5] [--only aa,tolerance,detection,passing]
 */
import { parseArgs } from "node:util";
import { parseGatesConfig, sessionModel, spanShare, type GatesConfig } from "@agent-canary/gate-rules";
import { fmt, pct, table, writeResult } from "../lib/report.ts";
import { quantile, wilson } from "../lib/stats.ts";
import { runAA, runAfter, runAtTolerance, runRoutingKey, type FalseAlarms } from "./aa.ts";
import { describeDetection, detect, DETECTION_HOURS } from "./detection.ts";
import { plannedHours, timeToPass } from "./passing.ts";
import { fixedSampleFloors } from "./reference.ts";
import { boundaryMinimumTable, rhoTable } from "./rho.ts";
import { AA_SCENARIOS, AT_TOLERANCE, CANARY_PERCENT, REGRESSIONS, SESSIONS_PER_MINUTE } from "./scenarios.ts";
import { EARLY_RATIO_CHECKS, simulateCadence } from "./session-cadence.ts";

const ALPHA = 0.01;

function interval(successes: number, runs: number): string {
  const w = wilson(successes, runs);
  return `${pct(w.rate)} [${pct(w.low)}, ${pct(w.high)}]`;
}

const named = (m: Map<string, number>): string => [...m].map(([k, v]) => `${k} ${v}`).join(", ") || "none";

function aaRow(title: string, a: FalseAlarms, note = ""): string[] {
  return [title, String(a.runs), interval(a.rollbacks, a.runs), interval(a.holds, a.runs), named(a.fired) + note];
}

/** The common early ratio gate, on identical versions, at its own cadence. */
function earlyRatioRow(runs: number): string[] {
  const model = sessionModel();
  let fired = 0;
  for (let r = 0; r < runs; r++) {
    const res = simulateCadence({ checks: EARLY_RATIO_CHECKS, baseline: model, canary: model, canaryPercent: CANARY_PERCENT, horizonCanarySessions: 1000, checkEvery: 10, seed: 5000 + r });
    if (res.firedAt !== undefined) fired++;
  }
  return ["comparison: the common early ratio gate (point ratios every 10 canary sessions, 1000 canary sessions at 5%)", String(runs), interval(fired, runs), "-", "-"];
}

function aaSection(config: GatesConfig, scale: number): string {
  const runs = (n: number) => Math.max(1, Math.round(n * scale));
  const rows = AA_SCENARIOS.map((s, i) => {
    const a = runAA(config, s, runs(s.runs), 1000 + 100_000 * i);
    return aaRow(s.title, a);
  });
  rows.push(aaRow("right after a rolled-back canary (2x cost, 10% loops), next rollout an hour later", runAfter(config, "rollback", runs(30), 2_000_000)));
  rows.push(aaRow("right after a promotion (the promoted version is the new baseline)", runAfter(config, "promotion", runs(30), 3_000_000)));
  const keyed = runRoutingKey(config, runs(20), 4_000_000);
  rows.push(aaRow("every session routed by tenant id (a shared routing key), 25% for 24 h", keyed, `; every gate undecided at the end in ${keyed.allUndecided} of ${keyed.runs}`));
  rows.push(earlyRatioRow(runs(1000)));
  return table(["identical versions (A/A), medium plan 1% 4 h, 5% 8 h, 25% 24 h, 50% 24 h, 100 sessions/min unless said", "runs", "false rollbacks [95% Wilson]", "false holds [95% Wilson]", "gates that fired"], rows);
}

function toleranceSection(config: GatesConfig, scale: number): string {
  const rows = config.gates.map((gate, i) => {
    const a = runAtTolerance(config, gate.name, Math.max(1, Math.round(20 * scale)), 6_000_000 + 10_000 * i);
    return [gate.name, `${gate.comparison} ${gate.threshold}`, pct(gate.alpha, 3), String(a.runs), interval(a.rollbacks + a.holds, a.runs)];
  });
  return table(["gate", "tolerance", "its alpha (whole rollout)", "runs", "failed [95% Wilson]"], rows);
}

function detectionSection(config: GatesConfig, scale: number): string {
  const rows: string[][] = [];
  REGRESSIONS.forEach((regression, i) => {
    for (const name of regression.gates) {
      const gate = config.gates.find((g) => g.name === name);
      if (!gate) continue;
      const floors = fixedSampleFloors(gate, regression.both ?? {}, { ...regression.both, ...regression.canary }, CANARY_PERCENT, ALPHA);
      const d = detect(config, regression, name, Math.max(1, Math.round(60 * scale)), 9000 + 1000 * i);
      rows.push([regression.title, `${name} (${gate.comparison} ${gate.threshold})`, fmt(floors.noDifference, 0), Number.isFinite(floors.atTolerance) ? fmt(floors.atTolerance, 0) : "never", describeDetection(d, floors.atTolerance, fmt, pct)]);
    }
  });
  return table(["regression (canary vs baseline)", "gate (tolerance)", "fixed-sample n, null: no difference", "fixed-sample n, null: the gate's tolerance", "ours: median canary sessions to the first firing"], rows);
}

function passingCell(hours: number[] | undefined, runs: number, inTime: number | undefined, gatePass: number | undefined): string {
  if (!hours?.length) return `not within the plan (${runs} runs)`;
  const within = pct(hours.length / runs, 0);
  const timely = gatePass === undefined ? "" : `; at or below ${gatePass}% in ${pct((inTime ?? 0) / runs, 0)}`;
  return `${fmt(quantile(hours, 0.5), 1)} h (p90 ${fmt(quantile(hours, 0.9), 1)}; passed ${within}${timely})`;
}

function passingSection(config: GatesConfig, scale: number): string {
  const levels = [
    { label: "100 sessions/min", perMinute: 100, runs: 20 },
    { label: "20 sessions/min", perMinute: 20, runs: 20 },
    { label: "20 sessions/hour", perMinute: 20 / 60, runs: 40 },
  ];
  const results = levels.map((l, i) => timeToPass(config, l.perMinute, Math.max(1, Math.round(l.runs * scale)), 7_000_000 + 100_000 * i));
  const rows = config.gates.map((gate) => [
    gate.name,
    gate.passBeforePercent === undefined ? "fail-only" : `${gate.passBeforePercent}%`,
    ...results.map((r) => passingCell(r.hours.get(gate.name), r.runs, r.inTime.get(gate.name), gate.passBeforePercent)),
    gate.passBeforePercent === undefined ? "-" : `${fmt(plannedHours(gate, 20 / 60, gate.passBeforePercent), 0)} h`,
  ]);
  return table(["gate", "must pass before", ...levels.map((l) => `identical canary, ${l.label}: hours to first passing`), "decidingTime at 20 sessions/hour with the canary at that percent"], rows);
}

function main(): void {
  const { values } = parseArgs({ options: { long: { type: "boolean", default: false }, scale: { type: "string" }, only: { type: "string" } } });
  const scale = values.scale ? Number(values.scale) : values.long ? 5 : 1;
  const only = values.only?.split(",");
  const want = (part: string) => !only || only.includes(part);
  const config = parseGatesConfig(`deployments: [bench]\nevaluationInterval: 1m\nalpha: ${ALPHA}\n`, "recommended");
  const started = Date.now();
  const sections: string[] = [];
  const timed = (title: string, body: () => string): void => {
    const t = Date.now();
    const text = body();
    sections.push(`## ${title}\n\n${text}\n\n(${((Date.now() - t) / 60_000).toFixed(1)} min)`);
  };
  if (want("rho")) timed("Tuning rho: where the boundary is tight, and where decisions happen", () => `${boundaryMinimumTable()}\n\nCanary sessions at 5% on the median path (the gate's formulas on expected totals): to pass an identical canary / to fail a regression of about twice the tolerance (cost 2x, loops 3x, completion 78%, turns 2x, errors 3%, latency 1.5x, quality -0.1, unsafe 3x).\n\n${rhoTable(config)}`);
  if (want("aa")) timed("Identical versions: false holds and rollbacks", () => aaSection(config, scale));
  if (want("tolerance")) timed("Each gate with the canary exactly at its tolerance", () => toleranceSection(config, scale));
  if (want("detection")) timed(`Regressions at ${CANARY_PERCENT}% canary: canary sessions until the gate fires (up to ${DETECTION_HOURS} h)`, () => detectionSection(config, scale));
  if (want("passing")) timed("An identical canary: hours until each gate passes", () => passingSection(config, scale));
  const minutes = ((Date.now() - started) / 60_000).toFixed(1);
  writeResult(
    "decisions",
    "Decision quality (simulated)",
    `Simulated agent: gate-rules' TYPICAL_AGENT (completion 92%, loops 0.5%, errors 1%, unsafe 0.2%, lognormal cost with median $0.04 and sigma 0.8, turns median 6, duration median 40 s, judge scores on half the sessions). ` +
      `Poisson arrivals (${SESSIONS_PER_MINUTE} sessions a minute unless said), each session routed at random by the stage's percent (or by a tenant override or routing key where said) and labelled with its rollout, canary percent and assignment as the agents label it; ` +
      `the recording rules' input layer (increments of rate() x interval, summed over a 7-day look-back; gate-rules' RolloutLedger, which the differential test holds equal to the rules) and the gates' own formulas, evaluated every minute, with their \`for\`. ` +
      `Recommended preset: 9 gates, alpha = ${ALPHA} over a whole rollout shared equally (${pct(ALPHA / 9, 3)} each; ${pct((ALPHA / 9) * spanShare(1), 3)} in the first look-back span), passAlpha 5% per gate. ` +
      `A rollout stops at its first firing, as the receiver would stop it. Run scale ${scale} (\`--long\` is 5); the whole run took ${minutes} min.\n\n` +
      sections.join("\n\n"),
  );
}

main();
