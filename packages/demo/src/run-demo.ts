import { cliIo, CliError, emit, EXIT_CODES, type CliIo, type ExitCode } from "@agent-canary/conventions/cli";
import { BASE_TIME_FACTOR } from "./config.js";
import { SessionLog } from "./gates/session-log.js";
import { startEmbeddedOps } from "./ops/embedded.js";
import type { OpsSide } from "./ops/ops-side.js";
import { checkServers, startAgentMetrics, startStackOps } from "./ops/stack.js";
import { scenariosOf, type DemoOptions, type ScenarioName } from "./options.js";
import { formatMisbehaviour, formatSummaryLine, type ScenarioSummary } from "./report/summary.js";
import { runScenario } from "./run-scenario.js";
import { SCENARIOS, type Scenario } from "./scenarios.js";

/** What runDemo runs besides its options: where it writes, and the scenarios its names stand for. */
export interface DemoRun {
  /** Where the timeline, the summary and the problems go (the process's stdout and stderr by default). */
  io?: Partial<CliIo>;
  /** The scenario each name runs, with what a working product does with it (SCENARIOS by default). */
  scenarios?: Readonly<Record<ScenarioName, Scenario>>;
}

/**
 * Runs the chosen scenarios one after another; returns the exit code of the shared table:
 * ok, checkFailed when a scenario did not end as a working product should (the demo is a
 * check of the product), failed when the demo itself could not run, interrupted on Ctrl-C.
 * Throws a CliError (exit 1) when --stack is asked for and its servers are not installed.
 */
export async function runDemo(options: DemoOptions, run: DemoRun = {}): Promise<ExitCode> {
  const io = cliIo(run.io);
  const scenarios = run.scenarios ?? SCENARIOS;
  const write = (line: string) => io.stdout.write(`${line}\n`);
  if (options.stack) {
    try {
      checkServers();
    } catch (error) {
      throw new CliError(`--stack needs real servers: ${(error as Error).message} Without --stack the demo runs embedded and needs none.`);
    }
  }
  const summaries: ScenarioSummary[] = [];
  // Ctrl-C stops the current rollout and skips the rest, so cleanup still runs; a second Ctrl-C exits at once.
  const interrupted = new AbortController();
  const onSigint = () => {
    io.stderr.write("\nagent-canary demo: stopping (Ctrl-C again to exit at once)\n");
    interrupted.abort();
    process.once("SIGINT", () => process.exit(EXIT_CODES.interrupted));
  };
  process.once("SIGINT", onSigint);
  const agentMetrics = options.stack ? await startAgentMetrics() : undefined;
  try {
    for (const name of scenariosOf(options.scenario)) {
      if (interrupted.signal.aborted) break;
      const log = new SessionLog();
      const ops: OpsSide = agentMetrics ? await startStackOps(agentMetrics.target, BASE_TIME_FACTOR * options.speed) : await startEmbeddedOps(log);
      try {
        const settings = {
          seed: options.seed,
          concurrency: options.concurrency,
          speed: options.speed,
          write: options.json ? undefined : write,
          signal: interrupted.signal,
        };
        summaries.push(await runScenario(scenarios[name], ops, settings, log));
      } finally {
        await ops.close();
      }
    }
  } catch (error) {
    io.stderr.write(`agent-canary demo: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return EXIT_CODES.failed;
  } finally {
    process.removeListener("SIGINT", onSigint);
    await agentMetrics?.close();
  }
  emit(io, options.json, { ok: summaries.every((s) => s.ok), scenarios: summaries }, () => ["", "summary", ...summaries.map((s) => `  ${s.ok ? "✔" : "✘"} ${formatSummaryLine(s)}`)]);
  if (interrupted.signal.aborted) {
    io.stderr.write("agent-canary demo: interrupted; the last scenario did not finish\n");
    return EXIT_CODES.interrupted;
  }
  const misbehaved = summaries.filter((s) => !s.ok);
  // Also with --json: the exit code says that a check failed; these lines say which scenario and how.
  for (const s of misbehaved) io.stderr.write(`error: ${formatMisbehaviour(s)}\n`);
  return misbehaved.length === 0 ? EXIT_CODES.ok : EXIT_CODES.checkFailed;
}
