import { addGateRulesCommands } from "@agent-canary/gate-rules";
import { addRolloutCommands } from "@agent-canary/rollout";
import { addShadowCommands } from "@agent-canary/shadow";
import type { Command } from "commander";
import { addDemoForwarder, type DemoModule } from "./demo-command.js";
import { programShell } from "./startup/shell.js";

export interface ProgramOptions {
  /**
   * The demo package, already loaded: its full `demo` command is registered
   * instead of the forwarder that loads it on use (the command reference does this).
   */
  demo?: DemoModule;
}

/**
 * The `agent-canary` command with every package's commands loaded: what the
 * command reference documents, and what a library user embeds. Each package
 * contributes the commands for its own concept; this file only assembles them.
 * The `agent-canary` binary runs the lazy twin (startup/lazy-program.ts).
 */
export function buildProgram(options: ProgramOptions = {}): Command {
  const program = programShell();
  if (options.demo) options.demo.addDemoCommand(program);
  else addDemoForwarder(program);
  addGateRulesCommands(program);
  addRolloutCommands(program);
  addShadowCommands(program);
  return program;
}
