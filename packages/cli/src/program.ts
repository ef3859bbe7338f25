import { createRequire } from "node:module";
import { addGateRulesCommands } from "@agent-canary/gate-rules";
import { addRolloutCommands } from "@agent-canary/rollout";
import { addShadowCommands } from "@agent-canary/shadow";
import { Command } from "commander";
import { addDemoForwarder, type DemoModule } from "./demo-command.js";

const { version } = createRequire(import.meta.url)("../package.json") as { version: string };

export interface ProgramOptions {
  /**
   * The demo package, already loaded: its full `demo` command is registered
   * instead of the forwarder that loads it on use (the command reference does this).
   */
  demo?: DemoModule;
}

/**
 * The `agent-canary` command. Each package contributes the commands for its
 * own concept; this file only assembles them, so `--help` lists everything.
 */
export function buildProgram(options: ProgramOptions = {}): Command {
  const program = new Command("agent-canary")
    .description(
      "Safe rollouts for LLM agents: gates as code, alert-driven rollback, rollout control and shadow reports.\n" +
        "Start with `agent-canary demo`; every command has --help.",
    )
    .version(version, "-v, --version")
    .showHelpAfterError("(run with --help for usage)")
    .showSuggestionAfterError(true);
  if (options.demo) options.demo.addDemoCommand(program);
  else addDemoForwarder(program);
  addGateRulesCommands(program);
  addRolloutCommands(program);
  addShadowCommands(program);
  return program;
}
