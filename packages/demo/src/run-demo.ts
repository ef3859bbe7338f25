import { EXIT_CODES, type ExitCode } from "@agent-canary/conventions/cli";
import { BASE_TIME_FACTOR } from "./config.js";
import { SessionLog } from "./gates/session-log.js";
import { startEmbeddedOps } from "./ops/embedded.js";
import type { OpsSide } from "./ops/ops-side.js";
import { checkServers, startAgentMetrics, startStackOps } from "./ops/stack.js";
import { scenariosOf, type DemoOptions } from "./options.js";
import { formatSummaryLine, type ScenarioSummary } from "./report/summary.js";
import { runScenario } from "./run-scenario.js";
import { SCENARIOS } from "./scenarios.js";

const write = (line: string) => process.stdout.write(`${line}\n`);

/**
 * Runs the chosen scenarios one after another; returns the exit code of the shared table:
 * ok, checkFailed when a scenario did not end as a working product should (the demo is a
 * check of the product), failed when the demo itself could not run, interrupted on Ctrl-C.
 */
export async function runDemo(options: DemoOptions): Promise<ExitCode> {
  if (options.stack) {
    try {
      checkServers();
    } catch (error) {
      process.stderr.write(`agent-canary demo --stack needs real servers: ${(error as Error).message}\nWithout --stack the demo runs on embedded defaults and needs none.\n`);
      return EXIT_CODES.failed;
    }
  }
  const summaries: ScenarioSummary[] = [];
  // Ctrl-C stops the current rollout and skips the rest, so cleanup still runs; a second Ctrl-C exits at once.
  const interrupted = new AbortController();
  const onSigint = () => {
    process.stderr.write("\nagent-canary demo: stopping (Ctrl-C again to exit at once)\n");
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
        summaries.push(await runScenario(SCENARIOS[name], ops, settings, log));
      } finally {
        await ops.close();
      }
    }
  } catch (error) {
    process.stderr.write(`agent-canary demo: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return EXIT_CODES.failed;
  } finally {
    process.removeListener("SIGINT", onSigint);
    await agentMetrics?.close();
  }
  report(summaries, options.json);
  if (interrupted.signal.aborted) {
    process.stderr.write("agent-canary demo: interrupted; the last scenario did not finish\n");
    return EXIT_CODES.interrupted;
  }
  return summaries.every((s) => s.ok) ? EXIT_CODES.ok : EXIT_CODES.checkFailed;
}

function report(summaries: readonly ScenarioSummary[], json: boolean): void {
  if (json) {
    write(JSON.stringify({ ok: summaries.every((s) => s.ok), scenarios: summaries }, null, 2));
    return;
  }
  write("");
  write("summary");
  for (const s of summaries) write(`  ${s.ok ? "✔" : "✘"} ${formatSummaryLine(s)}`);
}
