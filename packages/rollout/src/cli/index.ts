import type { Command } from "commander";
import { cliContext, type CliContext } from "./io.js";
import { addReceiverCommand } from "./receiver-command.js";
import { addCapabilityCommands } from "./capability-commands.js";
import { addControllerCommand } from "./controller-command.js";
import { addRolloutSubcommands } from "./rollout-commands.js";

export { CliError, type CliContext } from "./io.js";
export { auditLines, describeState } from "./status-text.js";

/** Adds `receiver` and `rollout start|status|set|pause|resume|rollback|promote|accept|capability|controller` to the agent-canary program. */
export function addRolloutCommands(program: Command, context: Partial<CliContext> = {}): Command {
  const ctx = cliContext(context);
  addReceiverCommand(program, ctx);
  const rollout = program
    .command("rollout")
    .description("start, inspect and change rollouts (every change is compare-and-set and audited as cli:<user>)")
    .addHelpText("after", "\nExample:\n  $ agent-canary rollout status --deployment support-bot\n");
  addRolloutSubcommands(rollout, ctx);
  addCapabilityCommands(rollout, ctx);
  addControllerCommand(rollout, ctx);
  return program;
}
