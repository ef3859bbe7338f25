import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { Command } from "commander";
import { z } from "zod";
import { progressBar, silentProgress } from "../replay/progress.js";
import { replayShadow, type ReplayOptions, type ReplaySummary } from "../replay/replay.js";
import { CliError, EXIT_CODES, emit, exitCodesHelp, parseFlags, runCommand } from "@agent-canary/conventions/cli";
import type { ShadowCommandIo } from "./cli-io.js";
import { SHADOW_USER_ERRORS } from "./user-errors.js";
import { positiveInt } from "./flags.js";

const ReplayFlagsSchema = z.object({
  inputs: z.string().min(1),
  agent: z.string().min(1),
  out: z.string().min(1),
  concurrency: positiveInt().default(4),
  timeoutMs: positiveInt().optional(),
  progress: z.boolean().default(true),
  json: z.boolean().default(false),
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

/**
 * Node's own messages name this package's file as the importer, or a bare "Unexpected token
 * 'export'": say which flag, which file, and what to change.
 */
function moduleLoadError(path: string, error: unknown): Error {
  const { code, message } = error as { code?: string; message?: string };
  if (code === "ERR_MODULE_NOT_FOUND" && message?.includes(resolve(path))) return new CliError(`--agent ${path}: no such file`);
  if (error instanceof SyntaxError && /\b(export|import)\b/.test(error.message)) {
    return new CliError(`--agent ${path}: Node read it as CommonJS (${error.message}); name it .mjs, or set "type": "module" in the package.json next to it`);
  }
  return new CliError(`--agent ${path}: cannot load it: ${message ?? String(error)}`);
}

async function loadAgentModule(path: string): Promise<ReplayAgentModule> {
  const loaded: unknown = await import(pathToFileURL(resolve(path)).href).catch((error: unknown) => {
    throw moduleLoadError(path, error);
  });
  const exported = (loaded as { default?: unknown }).default;
  if (typeof exported !== "object" || exported === null || !("candidate" in exported)) {
    throw new CliError(`--agent ${path}: its default export must be an object with at least { candidate: { run, version } } (and tools, production, compare as for replayShadow())`);
  }
  return exported as ReplayAgentModule;
}

export function addReplayCommand(shadow: Command, io: ShadowCommandIo): void {
  shadow
    .command("replay")
    .description("Replay recorded production inputs against a candidate and append the comparisons to a file")
    .requiredOption("--inputs <file>", "recorded inputs JSONL (the shadow's recordInputsFile)")
    .requiredOption("--agent <module>", "ES module (.mjs, or .js in a \"type\": \"module\" package) whose default export is { candidate, tools, production?, compare?, parseInput? }")
    .requiredOption("--out <file>", "comparisons JSONL file to append to")
    .option("--concurrency <n>", "candidate runs at once", "4")
    .option("--timeout-ms <n>", "candidate timeout per input")
    .option("--no-progress", "no progress bar")
    .option("--json", "print the summary (inputs, compared, divergent, candidate failures, interrupted) as JSON")
    .addHelpText(
      "after",
      "\nCtrl-C (or SIGTERM) stops it cleanly: no new input starts, the candidates under way stop, the comparisons\n" +
        `made so far stay in --out (whole lines), and it exits ${EXIT_CODES.interrupted}. A second Ctrl-C quits at once.\n` +
        "\nExample:\n  $ agent-canary shadow replay --inputs shadow/inputs.jsonl --agent ./shadow-candidate.mjs --out shadow/replay-comparisons.jsonl\n" +
        `\n${exitCodesHelp(["ok", "failed", "usage", "interrupted"])}\n`,
    )
    .action(async (raw: Record<string, unknown>, command: Command) =>
      runCommand(command, async () => {
        const f = parseFlags(ReplayFlagsSchema, raw);
        const summary = await replayWithSignals(io, f);
        const compared = summary.interrupted ? `interrupted: ${summary.compared} of ${summary.inputs} inputs compared` : `replayed ${summary.inputs} inputs: ${summary.compared} compared`;
        emit(io, f.json, { ...summary, out: f.out }, () => [`${compared}, ${summary.divergent} divergent, ${summary.candidateFailures} candidate failures; comparisons appended to ${f.out}`]);
        if (summary.interrupted) throw new CliError("shadow replay: interrupted", EXIT_CODES.interrupted);
      }, SHADOW_USER_ERRORS),
    );
}

/** Loads the agent module and replays, stopping the candidates under way on SIGINT / SIGTERM. */
async function replayWithSignals(io: ShadowCommandIo, f: z.output<typeof ReplayFlagsSchema>): Promise<ReplaySummary> {
  const interrupt = interruptOnSignals(io);
  try {
    const agent = await loadAgentModule(f.agent);
    return await replayShadow({
      ...agent,
      inputsFile: f.inputs,
      comparisonsFile: f.out,
      concurrency: f.concurrency,
      ...(f.timeoutMs !== undefined ? { candidateTimeoutMs: f.timeoutMs } : {}),
      progress: f.progress ? progressBar(io.stderr) : silentProgress,
      signal: interrupt.signal,
    });
  } finally {
    interrupt.dispose();
  }
}
