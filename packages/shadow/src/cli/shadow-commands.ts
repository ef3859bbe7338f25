import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { Command, Option } from "commander";
import { z } from "zod";
import { ComparisonRecordSchema } from "../record/comparison-record.js";
import { readAllJsonl } from "../record/jsonl-reader.js";
import { progressBar, silentProgress } from "../replay/progress.js";
import { replayShadow, type ReplayOptions } from "../replay/replay.js";
import { renderShadowReport } from "../report/render-report.js";
import { RISK_TIERS, RiskTierSchema } from "../report/shadow-duration.js";
import { buildShadowReport } from "../report/shadow-report.js";

export interface ShadowCommandIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

const positiveInt = (flag: string) =>
  z.coerce.number({ message: `${flag} must be a number` }).int(`${flag} must be a whole number`).positive(`${flag} must be above 0`);

const ReportFlagsSchema = z.object({
  risk: RiskTierSchema,
  trafficPerDay: positiveInt("--traffic-per-day").optional(),
  modelSwap: z.boolean().default(false),
  format: z.enum(["text", "json"]).default("text"),
  examples: z.coerce.number().int().min(0, "--examples must be 0 or more").default(5),
  minSimilarity: z.coerce.number({ message: "--min-similarity must be a number" }).min(0, "--min-similarity must be in 0..1").max(1, "--min-similarity must be in 0..1").optional(),
  check: z.boolean().default(false),
});

const ReplayFlagsSchema = z.object({
  inputs: z.string().min(1),
  agent: z.string().min(1),
  out: z.string().min(1),
  concurrency: positiveInt("--concurrency").default(4),
  timeoutMs: positiveInt("--timeout-ms").optional(),
  progress: z.boolean().default(true),
});

function flagError(command: Command, issues: readonly z.core.$ZodIssue[]): never {
  const issue = issues[0];
  const flag = `--${String(issue?.path[0] ?? "").replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  return command.error(`error: ${flag}: ${issue?.message ?? "invalid"}`, { exitCode: 2, code: "agent-canary.shadow.flags" });
}

function failure(command: Command, error: unknown): never {
  return command.error(`error: ${error instanceof Error ? error.message : String(error)}`, { exitCode: 1, code: "agent-canary.shadow.failed" });
}

/** The replay agent module's default export: everything replayShadow() takes except what the flags give. */
type ReplayAgentModule = Omit<ReplayOptions<unknown>, "inputsFile" | "comparisonsFile" | "progress" | "concurrency">;

async function loadAgentModule(path: string): Promise<ReplayAgentModule> {
  const loaded: unknown = await import(pathToFileURL(resolve(path)).href);
  const exported = (loaded as { default?: unknown }).default;
  if (typeof exported !== "object" || exported === null || !("candidate" in exported)) {
    throw new Error(`${path}: its default export must be an object with at least { candidate: { run, version } } (and tools, production, compare as for replayShadow())`);
  }
  return exported as ReplayAgentModule;
}

function addReportCommand(shadow: Command, io: ShadowCommandIo): void {
  shadow
    .command("report")
    .description("Summarise recorded comparisons: similarity distribution, disagreements with examples, judge verdicts, and whether shadow mode has run long enough for the change's risk")
    .argument("<file>", "comparisons JSONL file (the shadow's comparisonsFile)")
    .addOption(new Option("--risk <tier>", "risk tier of the change: low (prompt tweak), medium (new tool), high (model swap), critical (architecture)").choices(RISK_TIERS).makeOptionMandatory())
    .option("--traffic-per-day <n>", "production requests per day; 10,000+ allows the shorter 3-5 day rule")
    .option("--model-swap", "the candidate changes the model: +50% duration")
    .addOption(new Option("--format <format>", "output format").choices(["text", "json"]).default("text"))
    .option("--examples <n>", "disagreement examples to show", "5")
    .option("--min-similarity <x>", "mean similarity the readiness check asks for (default 0.90)")
    .option("--check", "exit with status 1 unless every readiness check passes (for CI)")
    .addHelpText("after", "\nExample:\n  $ agent-canary shadow report shadow/comparisons.jsonl --risk high --model-swap --traffic-per-day 4000\n")
    .action(async (file: string, raw: Record<string, unknown>, command: Command) => {
      const flags = ReportFlagsSchema.safeParse(raw);
      if (!flags.success) flagError(command, flags.error.issues);
      let notReady = false;
      try {
        const records = await readAllJsonl(file, ComparisonRecordSchema, "Each line must be a comparison written by the shadow runner (comparisonsFile) or by `shadow replay --out`.", {
          onTruncatedLastLine: (error) => io.stderr.write(`warning: ${error.message}; skipped (a write cut short by a crash?)\n`),
        });
        const report = buildShadowReport(records, flags.data);
        io.stdout.write(flags.data.format === "json" ? `${JSON.stringify(report, null, 2)}\n` : renderShadowReport(report, file));
        notReady = flags.data.check && report.readiness.some((c) => !c.passed);
      } catch (error) {
        failure(command, error);
      }
      if (notReady) command.error("shadow report: not ready for a canary (see Readiness)", { exitCode: 1, code: "agent-canary.shadow.not-ready" });
    });
}

function addReplayCommand(shadow: Command, io: ShadowCommandIo): void {
  shadow
    .command("replay")
    .description("Replay recorded production inputs against a candidate and append the comparisons to a file")
    .requiredOption("--inputs <file>", "recorded inputs JSONL (the shadow's recordInputsFile)")
    .requiredOption("--agent <module>", "ES module whose default export is { candidate, tools, production?, compare?, parseInput? }")
    .requiredOption("--out <file>", "comparisons JSONL file to append to")
    .option("--concurrency <n>", "candidate runs at once", "4")
    .option("--timeout-ms <n>", "candidate timeout per input")
    .option("--no-progress", "no progress bar")
    .addHelpText("after", "\nExample:\n  $ agent-canary shadow replay --inputs shadow/inputs.jsonl --agent ./shadow-candidate.js --out shadow/comparisons.jsonl\n")
    .action(async (raw: Record<string, unknown>, command: Command) => {
      const flags = ReplayFlagsSchema.safeParse(raw);
      if (!flags.success) flagError(command, flags.error.issues);
      const f = flags.data;
      try {
        const agent = await loadAgentModule(f.agent);
        const summary = await replayShadow({
          ...agent,
          inputsFile: f.inputs,
          comparisonsFile: f.out,
          concurrency: f.concurrency,
          ...(f.timeoutMs !== undefined ? { candidateTimeoutMs: f.timeoutMs } : {}),
          progress: f.progress ? progressBar(io.stderr) : silentProgress,
        });
        io.stdout.write(`replayed ${summary.inputs} inputs: ${summary.compared} compared, ${summary.divergent} divergent, ${summary.candidateFailures} candidate failures; comparisons appended to ${f.out}\n`);
      } catch (error) {
        failure(command, error);
      }
    });
}

/** Adds `shadow report` and `shadow replay` to a commander program (the agent-canary bin); returns the program. */
export function addShadowCommands(program: Command, io: ShadowCommandIo = { stdout: process.stdout, stderr: process.stderr }): Command {
  const shadow = program.command("shadow").description("Shadow mode: compare a candidate version with production on real traffic");
  addReportCommand(shadow, io);
  addReplayCommand(shadow, io);
  return program;
}
