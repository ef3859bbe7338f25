import type { Command } from "commander";
import { loadDemo } from "../demo-command.js";
import { buildProgram } from "../program.js";

/** Wide enough for the longest option lines, fixed so the reference does not depend on the terminal. */
const HELP_WIDTH = 100;

/**
 * The CLI README's command reference: every command's full `--help` (with the
 * examples added after it), depth first. Needs the demo package, whose `demo`
 * command is documented in full rather than as the forwarder.
 */
export async function cliReference(): Promise<string> {
  const demo = await loadDemo();
  if (!demo) throw new Error("the command reference documents `demo`: build and install @agent-canary/demo first");
  return commandReference(buildProgram({ demo }));
}

export function commandReference(program: Command): string {
  const sections: string[] = [];
  const visit = (command: Command, path: readonly string[]): void => {
    sections.push(`### \`${path.join(" ")}\`\n\n\`\`\`text\n${helpText(command).trimEnd()}\n\`\`\``);
    for (const sub of command.commands) if (sub.name() !== "help") visit(sub, [...path, sub.name()]);
  };
  visit(program, [program.name()]);
  return sections.join("\n\n");
}

function helpText(command: Command): string {
  let text = "";
  command.configureOutput({
    writeOut: (chunk) => (text += chunk),
    getOutHelpWidth: () => HELP_WIDTH,
    getOutHasColors: () => false,
  });
  command.outputHelp();
  return text;
}
