import { EXIT_CODES } from "@agent-canary/conventions/cli";
import type { Command } from "commander";

/** The package that holds the demo; the CLI works without it for everything else. */
export const DEMO_PACKAGE = "@agent-canary/demo";

/** What the CLI uses of the demo package. */
export interface DemoModule {
  /** Adds the full `demo` command (its options, help and action) to a program. */
  addDemoCommand(program: Command): Command;
  /** Runs `demo` with the arguments that followed it on the command line. */
  runDemoCommand(args: readonly string[]): Promise<void>;
}

/**
 * Adds `demo` as a thin forwarder. The demo pulls in the example agent, its
 * model server and the server launcher, so it lives in its own package and is
 * loaded only when `demo` runs; its options and help come from that package.
 */
export function addDemoForwarder(program: Command): Command {
  program
    .command("demo")
    .description(`watch a canary rollout of the example agent: a regressing canary is rolled back, a healthy one promoted (needs ${DEMO_PACKAGE})`)
    .usage("[options]  (see agent-canary demo --help)")
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .action(async (_options: unknown, command: Command) => {
      const demo = await loadDemo();
      if (!demo) {
        process.stderr.write(missingDemoMessage());
        // The command line is right; what it needs is not installed.
        process.exitCode = EXIT_CODES.failed;
        return;
      }
      await demo.runDemoCommand(command.args);
    });
  return program;
}

/** Loads the demo package, or returns undefined when it is not installed. */
export async function loadDemo(): Promise<DemoModule | undefined> {
  try {
    // Resolving first tells "the package is absent" apart from a failure inside it.
    import.meta.resolve(DEMO_PACKAGE);
  } catch {
    return undefined;
  }
  return (await import(DEMO_PACKAGE)) as DemoModule;
}

function missingDemoMessage(): string {
  return [
    `agent-canary demo: the demo is a separate package, ${DEMO_PACKAGE}, and it is not installed.`,
    `  Run it once:                 npx ${DEMO_PACKAGE}`,
    `  or install it next to the CLI: npm i -g ${DEMO_PACKAGE}`,
    "Every other command works without it.",
    "",
  ].join("\n");
}
