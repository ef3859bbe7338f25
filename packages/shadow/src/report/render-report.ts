import type { CandidateReport, SourceSummary } from "./candidate-report.js";
import type { ShadowReport } from "./shadow-report.js";

const BAR_WIDTH = 30;

function pct(part: number, whole: number): string {
  return whole === 0 ? "–" : `${((100 * part) / whole).toFixed(1)}%`;
}

function num(value: number | null, digits: number): string {
  return value === null ? "unknown" : value.toFixed(digits);
}

function excerpt(text: string, max = 160): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat || "(empty)";
}

function section(title: string, lines: readonly string[]): string {
  return [`### ${title}`, ...lines, ""].join("\n");
}

function similaritySection(r: CandidateReport): string {
  const most = Math.max(1, ...r.similarity.buckets.map((b) => b.count));
  const rows = [...r.similarity.buckets].reverse().map((b) => {
    const bar = "█".repeat(Math.round((BAR_WIDTH * b.count) / most));
    const close = b.to === 1 ? "]" : ")";
    return `  [${b.from.toFixed(2)}, ${b.to.toFixed(2)}${close} ${String(b.count).padStart(6)}  ${bar}`;
  });
  const { equivalent, similar, review } = r.similarity.bands;
  const methods = Object.entries(r.similarity.methods).map(([m, n]) => `${m} ${n}`).join(", ") || "none";
  return section("Output similarity", [
    `mean ${num(r.similarity.mean, 3)} (method: ${methods})`,
    `equivalent ${equivalent} (${pct(equivalent, r.comparisons)}), similar ${similar} (${pct(similar, r.comparisons)}), needs review ${review} (${pct(review, r.comparisons)})`,
    ...rows,
  ]);
}

function decisionsSection(r: CandidateReport): string {
  const fields = Object.entries(r.fieldDisagreements).map(([f, n]) => `  ${f.padEnd(14)} ${String(n).padStart(6)} differ (${pct(n, r.comparisons)})`);
  const writes = Object.entries(r.interceptedWrites).map(([tool, n]) => `${tool} ${n}`).join(", ") || "none";
  const { costUsd, turns, steps } = r.means;
  return section("Key metrics", [
    `decisions agree: ${r.decisionsAgree}/${r.comparisons} (${pct(r.decisionsAgree, r.comparisons)})`,
    ...fields,
    `mean cost USD: production ${num(costUsd.production, 5)}, candidate ${num(costUsd.candidate, 5)}`,
    `mean turns: production ${num(turns.production, 2)}, candidate ${num(turns.candidate, 2)}; mean steps: production ${num(steps.production, 2)}, candidate ${num(steps.candidate, 2)}`,
    `intercepted candidate writes: ${writes}`,
  ]);
}

function judgeSection(r: CandidateReport): string {
  const j = r.judge;
  if (j.judged === 0 && j.errors === 0) return section("Judge", ["no judged comparisons (no judge configured, or none sampled)"]);
  return section("Judge", [
    `judged ${j.judged} (sample ${j.byTrigger.sample}, divergence ${j.byTrigger.divergence}), errors ${j.errors}`,
    `candidate better ${j.verdicts.candidate_better}, equivalent ${j.verdicts.equivalent}, production better ${j.verdicts.production_better}`,
    `mean candidate score: ${num(j.meanScore, 3)}`,
  ]);
}

function disagreementsSection(r: CandidateReport): string {
  const kinds = Object.entries(r.divergences).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(", ") || "none";
  const examples = r.examples.flatMap((e) => [
    `- ${e.id} (similarity ${e.similarity.toFixed(3)}): ${e.divergences.map((d) => `${d.kind}: ${d.detail}`).join("; ")}`,
    ...(e.input !== undefined ? [`    input:      ${excerpt(JSON.stringify(e.input))}`] : []),
    ...(e.withheld
      ? ["    outputs:    withheld (the shadow ran with keepInputs: false)"]
      : [`    production: ${excerpt(e.productionOutput)}`, `    candidate:  ${excerpt(e.candidateOutput)}`]),
    ...(e.judge ? [`    judge:      ${e.judge}`] : []),
  ]);
  return section("Disagreements", [
    `${r.divergentComparisons}/${r.comparisons} comparisons diverge (${pct(r.divergentComparisons, r.comparisons)}): ${kinds}`,
    ...(examples.length > 0 ? ["examples, least similar first:", ...examples] : []),
  ]);
}

function durationSection(r: CandidateReport): string {
  const d = r.duration;
  const observed = d.observedDays === null ? "no live comparisons, so no observed duration" : `${d.observedDays.toFixed(2)} days of live comparisons`;
  const verdict = d.met ? "MET" : "NOT MET";
  return section("Shadow duration", [
    `recommended: ${d.rule}`,
    `observed: ${observed}, ${d.observedRequests} distinct ${r.requestsCounted.join(" and ")} requests`,
    `${verdict}${d.required ? "" : " (low-risk changes may skip shadow mode)"}`,
  ]);
}

function readinessSection(r: CandidateReport): string {
  const ready = r.readiness.every((c) => c.passed);
  return section(`Readiness: ${ready ? "READY for a canary" : "NOT READY"}`, r.readiness.map((c) => `  ${c.passed ? "pass" : "FAIL"}  ${c.check.padEnd(10)} ${c.detail}`));
}

function sourceLine(name: string, s: SourceSummary): string {
  if (s.comparisons === 0) return `${name}: none`;
  return `${name}: ${s.comparisons} comparisons, ${s.distinctRequests} distinct requests, mean similarity ${num(s.meanSimilarity, 3)}, decisions agree ${s.decisionsAgree}/${s.comparisons}`;
}

function candidateBlock(r: CandidateReport): string {
  const window = r.window ? `${r.window.first} … ${r.window.last}` : "no live comparisons";
  const production = Object.entries(r.productionVersions).map(([hash, n]) => `${hash} (${n})`).join(", ");
  const head = [
    `## Candidate ${r.candidateVersion}`,
    `${r.comparisons} comparisons with production ${production}; live window ${window}`,
    sourceLine("live", r.sources.live),
    sourceLine("replay", r.sources.replay),
    "",
  ].join("\n");
  return [head, similaritySection(r), decisionsSection(r), disagreementsSection(r), judgeSection(r), durationSection(r), readinessSection(r)].join("\n");
}

const SKIPPED_SHOWN = 10;

/** The plain-text report `agent-canary shadow report` prints: a block per candidate version. */
export function renderShadowReport(report: ShadowReport): string {
  const skipped = report.skippedLines;
  const head = [
    `# Shadow report: ${report.file}`,
    `${report.comparisons} comparisons of ${report.candidates.length} candidate version${report.candidates.length === 1 ? "" : "s"}`,
    ...(skipped.length > 0
      ? [
          `skipped ${skipped.length} bad line${skipped.length === 1 ? "" : "s"}:`,
          ...skipped.slice(0, SKIPPED_SHOWN).map((s) => `  line ${s.line}: ${s.reason}`),
          ...(skipped.length > SKIPPED_SHOWN ? [`  … and ${skipped.length - SKIPPED_SHOWN} more (--format json lists them all)`] : []),
        ]
      : []),
    "",
  ].join("\n");
  return [head, ...report.candidates.map(candidateBlock)].join("\n");
}
