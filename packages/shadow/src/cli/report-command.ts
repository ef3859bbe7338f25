import { Command, Option } from "commander";
import { z } from "zod";
import { ComparisonRecordSchema } from "../record/comparison-record.js";
import { readAllJsonl } from "../record/jsonl-reader.js";
import { renderShadowReport } from "../report/render-report.js";
import { RISK_TIERS, RiskTierSchema } from "../report/shadow-duration.js";
import { buildShadowReport, type ShadowReport, type SkippedLine } from "../report/shadow-report.js";
import { CliError, EXIT_CODES, exitCodesHelp, parseFlags, runCommand, usageError } from "@agent-canary/conventions/cli";
import type { ShadowCommandIo } from "./cli-io.js";
import { SHADOW_USER_ERRORS } from "./user-errors.js";
import { positiveInt } from "./flags.js";

const ReportFlagsSchema = z.object({
  risk: RiskTierSchema,
  trafficPerDay: positiveInt().optional(),
  modelSwap: z.boolean().default(false),
  format: z.enum(["text", "json"]).default("text"),
  json: z.boolean().default(false),
  examples: z.coerce.number({ message: "give a number" }).int("give a whole number").min(0, "give 0 or more").default(5),
  minSimilarity: z.coerce.number({ message: "give a number from 0 to 1, e.g. 0.9" }).min(0, "give a number from 0 to 1, e.g. 0.9").max(1, "give a number from 0 to 1, e.g. 0.9").optional(),
  candidate: z.string().regex(/^[0-9a-f]{16}$/, "give a version hash: 16 lowercase hex characters, as the report prints them").optional(),
  countReplayed: z.boolean().default(false),
  requireJudge: z.boolean().optional(),
  check: z.boolean().default(false),
});
type ReportFlags = z.infer<typeof ReportFlagsSchema>;

const LINE_HINT = "Each line must be a comparison written by the shadow runner (comparisonsFile) or by `shadow replay --out`.";
const WARNINGS_SHOWN = 20;

/** Reads the comparisons, skipping (and warning about) bad lines rather than rejecting the file. */
async function readComparisons(file: string, io: ShadowCommandIo) {
  const skipped: SkippedLine[] = [];
  const records = await readAllJsonl(file, ComparisonRecordSchema, LINE_HINT, {
    onBadLine: (error) => {
      skipped.push({ line: error.line, reason: error.detail });
      if (skipped.length <= WARNINGS_SHOWN) io.stderr.write(`warning: ${file}:${error.line}: ${error.detail}; line skipped\n`);
    },
  });
  if (skipped.length > WARNINGS_SHOWN) io.stderr.write(`warning: ${skipped.length - WARNINGS_SHOWN} more bad lines skipped (the report lists them)\n`);
  if (skipped.length > 0) io.stderr.write(`${LINE_HINT}\n`);
  return { records, skipped };
}

/** The report narrowed to `--candidate`, or an error saying which candidates the file holds. */
function selectCandidate(report: ShadowReport, flags: ReportFlags): ShadowReport {
  const hashes = report.candidates.map((c) => c.candidateVersion);
  if (flags.candidate !== undefined) {
    const chosen = report.candidates.filter((c) => c.candidateVersion === flags.candidate);
    if (chosen.length === 0) throw new CliError(`--candidate ${flags.candidate}: ${report.file} holds no comparison of this candidate; it holds: ${hashes.join(", ") || "none"}`);
    return { ...report, candidates: chosen };
  }
  if (flags.check && hashes.length > 1) {
    throw usageError(`${report.file} holds comparisons of ${hashes.length} candidate versions (${hashes.join(", ")}); --check needs --candidate <hash> to say which one goes to canary`);
  }
  return report;
}

export function addReportCommand(shadow: Command, io: ShadowCommandIo): void {
  shadow
    .command("report")
    .description("Summarise recorded comparisons, one block per candidate version: similarity distribution, disagreements with examples, judge verdicts, and whether shadow mode has run long enough for the change's risk")
    .argument("<file>", "comparisons JSONL file (the shadow's comparisonsFile, or replay --out)")
    .addOption(new Option("--risk <tier>", "risk tier of the change: low (prompt tweak), medium (new tool), high (model swap), critical (architecture)").choices(RISK_TIERS).makeOptionMandatory())
    .option("--traffic-per-day <n>", "production requests per day; 10,000+ allows the shorter 3-5 day rule")
    .option("--model-swap", "the candidate changes the model: +50% duration")
    .option("--candidate <hash>", "report on this candidate version only (needed by --check when the file holds several)")
    .option("--count-replayed", "count replayed requests toward the distinct-request minimum too (default: live requests only)")
    .option("--require-judge", "fail the judge check when no pair was judged (default for medium risk and up)")
    .option("--no-require-judge", "pass the judge check when no pair was judged")
    .addOption(new Option("--format <format>", "output format").choices(["text", "json"]).default("text"))
    .option("--json", "the same as --format json")
    .option("--examples <n>", "disagreement examples to show", "5")
    .option("--min-similarity <x>", "mean similarity the readiness check asks for (default 0.90)")
    .option("--check", `exit with status ${EXIT_CODES.checkFailed} unless every readiness check of the candidate passes (for CI)`)
    .addHelpText(
      "after",
      "\nBad lines are skipped and listed with their line numbers; the rest is reported.\n" +
        "\nExample:\n  $ agent-canary shadow report shadow/live-comparisons.jsonl --risk high --model-swap --traffic-per-day 4000 --candidate 3f9a1c2b4d5e6f70 --check\n" +
        `\n${exitCodesHelp(["ok", "failed", "usage", "checkFailed"])}\n`,
    )
    .action(async (file: string, raw: Record<string, unknown>, command: Command) =>
      runCommand(command, async () => {
        const flags = parseFlags(ReportFlagsSchema, raw);
        const read = await readComparisons(file, io);
        const report = selectCandidate(buildShadowReport(file, read.records, read.skipped, flags), flags);
        io.stdout.write(flags.json || flags.format === "json" ? `${JSON.stringify(report, null, 2)}\n` : renderShadowReport(report));
        const [checked] = report.candidates;
        if (flags.check && (!checked || checked.readiness.some((c) => !c.passed))) {
          throw new CliError(`shadow report: ${checked ? `candidate ${checked.candidateVersion} is` : "no candidate is"} not ready for a canary (see Readiness)`, EXIT_CODES.checkFailed);
        }
      }, SHADOW_USER_ERRORS),
    );
}
