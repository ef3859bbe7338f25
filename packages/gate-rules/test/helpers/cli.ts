import { Command } from "commander";
import { addGateRulesCommands } from "../../src/index.js";

/** Runs the gate-rules commands as the agent-canary bin would, capturing output lines and the exit code. */
export async function cli(args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const program = addGateRulesCommands(new Command("agent-canary").exitOverride(), { out: (l) => out.push(l), err: (l) => err.push(l) });
  process.exitCode = undefined;
  await program.parseAsync(args, { from: "user" });
  const code = Number(process.exitCode ?? 0);
  process.exitCode = undefined;
  return { code, out, err };
}
