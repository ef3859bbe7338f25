// Reads a Stryker JSON report (mutation-testing-report-schema), prints the score and
// the surviving mutants, sets aside the equivalent mutants listed (with a reason) in
// mutation/equivalents.json, and with --write replaces the package's section of
// bench/results/mutation.md.
//
//   node mutation/summary.mjs --package conventions --report reports/mutation/conventions.json \
//     [--seconds 182] [--write bench/results/mutation.md]
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { parseArgs } from "node:util";
import { targetFor } from "./targets.mjs";

const EQUIVALENTS = new URL("./equivalents.json", import.meta.url);
const DETECTED = new Set(["Killed", "Timeout"]);
const UNDETECTED = new Set(["Survived", "NoCoverage"]);

/**
 * @typedef {{ line: number, column: number }} Position
 * @typedef {{ id: string, mutatorName: string, replacement?: string, status: string, location: { start: Position, end: Position } }} Mutant
 * @typedef {{ source: string, mutants: Mutant[] }} FileResult
 * @typedef {{ package: string, file: string, mutator: string, original: string, replacement: string, why: string }} Equivalent
 * @typedef {{ file: string, line: number, mutator: string, original: string, replacement: string, status: string }} Row
 */

function main() {
  const { values } = parseArgs({
    options: { package: { type: "string" }, report: { type: "string" }, seconds: { type: "string" }, write: { type: "string" } },
  });
  if (!values.package || !values.report) throw new Error("usage: summary.mjs --package <name> --report <stryker json> [--seconds N] [--write <md>]");
  const target = targetFor(values.package);
  /** @type {{ files: Record<string, FileResult> }} */
  const report = JSON.parse(readFileSync(values.report, "utf8"));
  const rows = Object.entries(report.files).flatMap(([file, result]) => result.mutants.map((m) => toRow(file, result.source, m)));
  // Only the files this run mutated: a narrowed run says nothing of the other files' equivalents.
  const equivalents = loadEquivalents().filter((e) => e.package === values.package && e.file in report.files);
  const counts = countRows(rows, equivalents);
  const seconds = values.seconds === undefined ? undefined : Number(values.seconds);
  printSummary(values.package, counts, seconds);
  if (values.write) {
    const section = renderSection(values.package, target, counts, seconds);
    writeSection(values.write, values.package, section);
    console.log(`mutation: wrote the ${values.package} section of ${values.write}`);
  }
}

/** One mutant with the source text it replaces (positions are 1-based lines, 1-based columns). */
function toRow(file, source, mutant) {
  const lines = source.split("\n");
  const { start, end } = mutant.location;
  const original =
    start.line === end.line
      ? lines[start.line - 1].slice(start.column - 1, end.column - 1)
      : [lines[start.line - 1].slice(start.column - 1), ...lines.slice(start.line, end.line - 1), lines[end.line - 1].slice(0, end.column - 1)].join("\n");
  return { file, line: start.line, mutator: mutant.mutatorName, original, replacement: mutant.replacement ?? "", status: mutant.status };
}

/** @returns {Equivalent[]} */
function loadEquivalents() {
  if (!existsSync(EQUIVALENTS)) return [];
  const list = JSON.parse(readFileSync(EQUIVALENTS, "utf8"));
  for (const [i, e] of list.entries()) {
    for (const key of ["package", "file", "mutator", "original", "replacement", "why"]) {
      if (typeof e[key] !== "string" || (key === "why" && e.why.trim() === "")) {
        throw new Error(`mutation/equivalents.json[${i}].${key}: a string is required (every equivalent mutant needs its reason in "why")`);
      }
    }
    if (e.line !== undefined && !(Number.isInteger(e.line) && e.line > 0)) {
      throw new Error(`mutation/equivalents.json[${i}].line: a line number (1 or more) is required when given; leave it out to match the mutant anywhere in the file`);
    }
  }
  return list;
}

// An entry may pin its `line` where the same change to the same text occurs twice in a file.
const sameMutant = (row, e) => (e.line === undefined || row.line === e.line) && row.file === e.file && row.mutator === e.mutator && row.original === e.original && row.replacement === e.replacement;

function countRows(rows, equivalents) {
  const detected = rows.filter((r) => DETECTED.has(r.status));
  const undetected = rows.filter((r) => UNDETECTED.has(r.status));
  // Only a surviving mutant can be set aside as equivalent: an untested one (NoCoverage) is a gap.
  const equivalent = undetected.filter((r) => r.status === "Survived" && equivalents.some((e) => sameMutant(r, e)));
  const survivors = undetected.filter((r) => !equivalent.includes(r));
  const stale = equivalents.filter((e) => !equivalent.some((r) => sameMutant(r, e)));
  const by = (status) => rows.filter((r) => r.status === status).length;
  const perFile = [...new Set(rows.map((r) => r.file))].map((file) => {
    const own = rows.filter((r) => r.file === file);
    const d = own.filter((r) => DETECTED.has(r.status)).length;
    const u = own.filter((r) => UNDETECTED.has(r.status)).length;
    return { file, detected: d, undetected: u, score: score(d, u) };
  });
  return {
    total: rows.length,
    killed: by("Killed"),
    timeout: by("Timeout"),
    survived: by("Survived"),
    noCoverage: by("NoCoverage"),
    invalid: by("CompileError") + by("RuntimeError"),
    ignored: by("Ignored"),
    score: score(detected.length, undetected.length),
    scoreWithoutEquivalents: score(detected.length, undetected.length - equivalent.length),
    equivalent: equivalent.map((r) => ({ ...r, why: equivalents.find((e) => sameMutant(r, e)).why })),
    survivors,
    stale,
    perFile,
  };
}

/** Stryker's mutation score: detected (killed or timed out) over detected plus undetected. */
function score(detected, undetected) {
  return detected + undetected === 0 ? 100 : (100 * detected) / (detected + undetected);
}

const pct = (x) => `${(Math.floor(x * 10) / 10).toFixed(1)}%`;
const where = (r) => `${r.file}:${r.line}`;
const code = (text) => `\`${text.replace(/\s+/g, " ").replace(/\|/g, "\\|").replace(/`/g, "'")}\``;
const duration = (s) => (s >= 60 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${s} s`);

function printSummary(name, c, seconds) {
  console.log(`\nmutation score: ${pct(c.score)} (${name}${seconds === undefined ? "" : `, ${duration(seconds)}`})`);
  console.log(`  ${c.total} mutants: killed ${c.killed}, timeout ${c.timeout}, survived ${c.survived}, no coverage ${c.noCoverage}, errors ${c.invalid}, ignored ${c.ignored}`);
  console.log(`  with ${c.equivalent.length} listed equivalent mutant${c.equivalent.length === 1 ? "" : "s"} set aside: ${pct(c.scoreWithoutEquivalents)}`);
  for (const r of c.survivors) console.log(`  ${r.status === "NoCoverage" ? "NOT COVERED" : "SURVIVED"} ${where(r)} ${r.mutator}: ${r.original.replace(/\s+/g, " ")} -> ${r.replacement.replace(/\s+/g, " ")}`);
  for (const e of c.stale) console.log(`  note: equivalents.json lists ${e.file} ${e.mutator} ${e.original} -> ${e.replacement}, which did not survive this run (killed, or the code changed): remove it`);
}

function renderSection(name, target, c, seconds) {
  const lines = [
    `## ${name}`,
    "",
    `mutation score: ${pct(c.score)}`,
    "",
    `- ${new Date().toISOString().slice(0, 10)}; run time ${seconds === undefined ? "not measured" : duration(seconds)} on ${cpus().length} cores (load average ${loadavg()[0].toFixed(1)} at the end), Stryker with the vitest runner, concurrency ${process.env.AGENT_CANARY_MUTATION_CONCURRENCY ?? 2}`,
    `- mutated: ${target.mutate.map((m) => `\`${m}\``).join(", ")}; tests: ${target.tests.map((t) => `\`${t}\``).join(", ")}${target.skipTests.length ? ` except ${target.skipTests.map((t) => `\`${t}\``).join(", ")}` : ""}`,
    `- ${c.total} mutants: ${c.killed} killed, ${c.timeout} timed out, ${c.survived} survived, ${c.noCoverage} not covered${c.invalid ? `, ${c.invalid} compile/runtime errors (not counted)` : ""}${c.ignored ? `, ${c.ignored} ignored` : ""}`,
    c.equivalent.length
      ? `- with the ${c.equivalent.length} equivalent mutant${c.equivalent.length === 1 ? "" : "s"} below set aside: ${pct(c.scoreWithoutEquivalents)}`
      : "- no surviving mutant is listed as equivalent",
    "",
    "| file | detected | undetected | score |",
    "| --- | ---: | ---: | ---: |",
    ...c.perFile.map((f) => `| \`${f.file}\` | ${f.detected} | ${f.undetected} | ${pct(f.score)} |`),
    "",
  ];
  if (c.equivalent.length) {
    lines.push("Equivalent mutants (no test can tell them from the original; reasons from `mutation/equivalents.json`):", "");
    lines.push("| where | mutator | original → mutant | why equivalent |", "| --- | --- | --- | --- |");
    for (const r of c.equivalent) lines.push(`| \`${where(r)}\` | ${r.mutator} | ${code(r.original)} → ${code(r.replacement)} | ${r.why} |`);
    lines.push("");
  }
  if (c.survivors.length) {
    lines.push("Surviving mutants not yet killed:", "", "| where | status | mutator | original → mutant |", "| --- | --- | --- | --- |");
    for (const r of c.survivors) lines.push(`| \`${where(r)}\` | ${r.status} | ${r.mutator} | ${code(r.original)} → ${code(r.replacement)} |`);
    lines.push("");
  }
  return lines.join("\n");
}

const HEADER = `# Mutation testing

Written by \`scripts/mutation.sh <package>\` (one section per package; a run replaces its own section).
The score is Stryker's: mutants detected (killed or timed out) over detected plus undetected (survived
or not covered). Equivalent mutants count against it; they are listed with the reason no test can kill
them, and the score with them set aside is given beside it. See bench/README.md, "Mutation testing".
`;

function writeSection(file, name, section) {
  const open = `<!-- mutation:${name} -->`;
  const close = `<!-- /mutation:${name} -->`;
  const block = `${open}\n${section}${close}\n`;
  let text = existsSync(file) ? readFileSync(file, "utf8") : `${HEADER}\n`;
  const start = text.indexOf(open);
  const end = text.indexOf(close);
  if (start >= 0 && end > start) text = text.slice(0, start) + block + text.slice(end + close.length + 1);
  else text = `${text.trimEnd()}\n\n${block}`;
  writeFileSync(file, text);
}

main();
