import { Command } from "commander";

/** The package that holds the demo; the CLI works without it for everything else. */
export const DEMO_PACKAGE = "@agent-canary/demo";

/** What the CLI needs from the demo package. */
interface DemoModule {
  addDemoCommand(program: Command): Command;
}

/**
 * Adds `demo` as a thin forwarder. The demo pulls in the example agent, its
 * model server and the server launcher, so it lives in its own package and is
 * loaded only when `demo` runs; its options and help come from that package.
 */
export function addDemoCommand(program: Command): Command {
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
        process.exitCode = 2;
        return;
      }
      const inner = new Command(program.name()).copyInheritedSettings(program);
      demo.addDemoCommand(inner);
      await inner.parseAsync(["demo", ...command.args], { from: "user" });
    });
  return program;
}

/** Loads the demo package, or returns undefined when it is not installed. */
async function loadDemo(): Promise<DemoModule | undefined> {
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
    `  Install it next to the CLI:  npm i -g ${DEMO_PACKAGE}`,
    `  or run it once:              npx -p @agent-canary/cli -p ${DEMO_PACKAGE} agent-canary demo`,
    "Every other command works without it.",
    "",
  ].join("\n");
}
