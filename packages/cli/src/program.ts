import { createRequire } from "node:module";
import { addGateRulesCommands } from "@agent-canary/gate-rules";
import { addRolloutCommands } from "@agent-canary/rollout";
import { addShadowCommands } from "@agent-canary/shadow";
import { Command } from "commander";
import { addDemoCommand } from "./demo-command.js";

const { version } = createRequire(import.meta.url)("../package.json") as { version: string };

/**
 * The `agent-canary` command. Each package contributes the commands for its
 * own concept; this file only assembles them, so `--help` lists everything.
 */
export function buildProgram(): Command {
  const program = new Command("agent-canary")
    .description(
      "Safe rollouts for LLM agents: gates as code, alert-driven rollback, rollout control and shadow reports.\n" +
        "Start with `agent-canary demo`; every command has --help.",
    )
    .version(version, "-v, --version")
    .showHelpAfterError("(run with --help for usage)")
    .showSuggestionAfterError(true);
  addDemoCommand(program);
  addGateRulesCommands(program);
  addRolloutCommands(program);
  addShadowCommands(program);
  return program;
}
