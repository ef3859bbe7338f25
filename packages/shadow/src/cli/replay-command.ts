import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { Command } from "commander";
import { z } from "zod";
import { progressBar, silentProgress } from "../replay/progress.js";
import { replayShadow, type ReplayOptions } from "../replay/replay.js";
import { failure, flagError, type ShadowCommandIo } from "./cli-io.js";
import { positiveInt } from "./flags.js";

const ReplayFlagsSchema = z.object({
  inputs: z.string().min(1),
  agent: z.string().min(1),
  out: z.string().min(1),
  concurrency: positiveInt("--concurrency").default(4),
  timeoutMs: positiveInt("--timeout-ms").optional(),
  progress: z.boolean().default(true),
});

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

export function addReplayCommand(shadow: Command, io: ShadowCommandIo): void {
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
