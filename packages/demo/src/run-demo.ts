import { BASE_TIME_FACTOR } from "./config.js";
import { SessionLog } from "./gates/session-log.js";
import { startEmbeddedOps } from "./ops/embedded.js";
import type { OpsSide } from "./ops/ops-side.js";
import { checkServers, startAgentMetrics, startStackOps } from "./ops/stack.js";
import { scenariosOf, type DemoOptions } from "./options.js";
import { formatSummaryLine, type ScenarioSummary } from "./report/summary.js";
import { runScenario } from "./run-scenario.js";
import { SCENARIOS } from "./scenarios.js";

export const DEMO_EXIT = { ok: 0, misbehaved: 1, failed: 2, interrupted: 130 } as const;

const write = (line: string) => process.stdout.write(`${line}\n`);

/** Runs the chosen scenarios one after another; returns the exit code. */
export async function runDemo(options: DemoOptions): Promise<number> {
  if (options.stack) {
    try {
      checkServers();
    } catch (error) {
      process.stderr.write(`agent-canary demo --stack needs real servers: ${(error as Error).message}\nWithout --stack the demo runs on embedded defaults and needs none.\n`);
      return DEMO_EXIT.failed;
    }
  }
  const summaries: ScenarioSummary[] = [];
  // Ctrl-C stops the current rollout and skips the rest, so cleanup still runs; a second Ctrl-C exits at once.
  const interrupted = new AbortController();
  const onSigint = () => {
    process.stderr.write("\nagent-canary demo: stopping (Ctrl-C again to exit at once)\n");
    interrupted.abort();
    process.once("SIGINT", () => process.exit(130));
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
    return DEMO_EXIT.failed;
  } finally {
    process.removeListener("SIGINT", onSigint);
    await agentMetrics?.close();
  }
  report(summaries, options.json);
  if (interrupted.signal.aborted) {
    process.stderr.write("agent-canary demo: interrupted; the last scenario did not finish\n");
    return DEMO_EXIT.interrupted;
  }
  return summaries.every((s) => s.ok) ? DEMO_EXIT.ok : DEMO_EXIT.misbehaved;
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
