import { exitCodesHelp, parseFlags, runCommand, tableExitCode } from "@agent-canary/conventions/cli";
import { Command, CommanderError, Option } from "commander";
import { DemoOptionsSchema, SCENARIO_NAMES } from "./options.js";
import { runDemo } from "./run-demo.js";

const HELP = `
Scenarios (the canary is the example support agent pinned to a dated model snapshot;
the scripted local model server decides how that snapshot behaves):
  cost     it writes four times the output tokens: about 2x cost per session.
           Expected: rolled back by the cost gate.
  loop     two sessions in five call the same tool with the same arguments until the
           loop guard stops them. Expected: rolled back (loop rate or completion gate).
  healthy  it behaves exactly like the baseline (A/A). Expected: promoted.
  all      cost, loop, then healthy (default).

Each scenario runs the medium-risk plan 1% → 5% → 25% → 50% → 100% with the
recommended gate preset, on a clock that runs four hours of rollout per second.
Without --stack nothing else is needed: the rollout state is a file store in a temp
dir and the gates are evaluated in process. With --stack the same run goes through
real servers: Prometheus scrapes the agent and evaluates the generated rules,
Alertmanager routes the rollback alert to the receiver, and the state lives in Redis.

${exitCodesHelp()}
For the demo, 3 means a scenario did not end as a working product should (e.g. a
regressing canary was promoted), and 1 that the demo itself could not run.

Examples:
  $ agent-canary demo
  $ agent-canary demo --scenario loop --seed 7
  $ agent-canary demo --stack --json`;

/** Adds `demo` to the agent-canary program. */
export function addDemoCommand(program: Command): Command {
  program
    .command("demo")
    .description("watch a canary rollout of the example agent: a regressing canary is rolled back, a healthy one promoted")
    .addOption(new Option("-s, --scenario <name>", "which scenario to run").choices([...SCENARIO_NAMES, "all"]).default("all"))
    .option("--seed <n>", "seed of the traffic and the model server, for a reproducible run", "1")
    .option("-c, --concurrency <n>", "agent sessions running at once", "16")
    .option("--speed <factor>", "run the rollout clock this many times faster (or slower, below 1)", "1")
    .option("--stack", "use real Prometheus, Alertmanager and Redis (on PATH; Debian: apt-get install prometheus prometheus-alertmanager redis-server)", false)
    .option("--json", "print only a JSON summary on stdout", false)
    .addHelpText("after", HELP)
    // As every other command: a bad flag value is one line `error: --flag value: fix` and exit 2.
    .action((raw: Record<string, unknown>, command: Command) =>
      runCommand(command, async () => {
        process.exitCode = await runDemo(parseFlags(DemoOptionsSchema, raw));
      }),
    );
  return program;
}

/**
 * Runs `agent-canary demo` with these arguments (what follows `demo` on the
 * command line): the CLI forwards to it, and so does this package's own bin.
 */
export async function runDemoCommand(args: readonly string[]): Promise<void> {
  const program = new Command("agent-canary")
    .showSuggestionAfterError(true)
    // As the CLI's program shell does; thrown, so a bin exits once, after cleanup.
    .exitOverride((error) => {
      throw new CommanderError(tableExitCode(error), error.code, error.message);
    });
  addDemoCommand(program);
  await program.parseAsync(["demo", ...args], { from: "user" });
}
