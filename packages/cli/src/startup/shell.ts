import { createRequire } from "node:module";
import { Command } from "commander";

const { version } = createRequire(import.meta.url)("../../package.json") as { version: string };

/** The `agent-canary` program with no commands yet: name, description, version and error help. */
export function programShell(): Command {
  return new Command("agent-canary")
    .description(
      "Safe rollouts for LLM agents: gates as code, alert-driven rollback, rollout control and shadow reports.\n" +
        "Start with `agent-canary demo`; every command has --help.",
    )
    .version(version, "-v, --version")
    .showHelpAfterError("(run with --help for usage)")
    .showSuggestionAfterError(true);
}
