import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { Command } from "commander";
import { z } from "zod";
import { progressBar, silentProgress } from "../replay/progress.js";
import { replayShadow, type ReplayOptions, type ReplaySummary } from "../replay/replay.js";
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

/** SIGINT / SIGTERM abort the replay once; a second one quits at once. */
function interruptOnSignals(io: ShadowCommandIo): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const quit = () => process.exit(130);
  const onSignal = () => {
    io.stderr.write("\ninterrupted: stopping the candidates under way; a second Ctrl-C quits at once\n");
    controller.abort();
    process.once("SIGINT", quit);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  return {
    signal: controller.signal,
    dispose: () => {
      for (const listener of [onSignal, quit]) {
        process.off("SIGINT", listener);
        process.off("SIGTERM", listener);
      }
    },
  };
}

/** The replay agent module's default export: everything replayShadow() takes except what the flags give. */
type ReplayAgentModule = Omit<ReplayOptions<unknown>, "inputsFile" | "comparisonsFile" | "progress" | "concurrency" | "signal">;

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
    .addHelpText(
      "after",
      "\nCtrl-C (or SIGTERM) stops it cleanly: no new input starts, the candidates under way stop, the comparisons\n" +
        "made so far stay in --out (whole lines), and it exits 130. A second Ctrl-C quits at once.\n" +
        "\nExample:\n  $ agent-canary shadow replay --inputs shadow/inputs.jsonl --agent ./shadow-candidate.js --out shadow/replay-comparisons.jsonl\n",
    )
    .action(async (raw: Record<string, unknown>, command: Command) => {
      const flags = ReplayFlagsSchema.safeParse(raw);
      if (!flags.success) flagError(command, flags.error.issues);
      const f = flags.data;
      const interrupt = interruptOnSignals(io);
      let summary: ReplaySummary;
      try {
        const agent = await loadAgentModule(f.agent);
        summary = await replayShadow({
          ...agent,
          inputsFile: f.inputs,
          comparisonsFile: f.out,
          concurrency: f.concurrency,
          ...(f.timeoutMs !== undefined ? { candidateTimeoutMs: f.timeoutMs } : {}),
          progress: f.progress ? progressBar(io.stderr) : silentProgress,
          signal: interrupt.signal,
        });
      } catch (error) {
        failure(command, error);
      } finally {
        interrupt.dispose();
      }
      const compared = summary.interrupted ? `interrupted: ${summary.compared} of ${summary.inputs} inputs compared` : `replayed ${summary.inputs} inputs: ${summary.compared} compared`;
      io.stdout.write(`${compared}, ${summary.divergent} divergent, ${summary.candidateFailures} candidate failures; comparisons appended to ${f.out}\n`);
      if (summary.interrupted) command.error("shadow replay: interrupted", { exitCode: 130, code: "agent-canary.shadow.interrupted" });
    });
}
