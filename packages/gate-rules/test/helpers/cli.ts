import { exitCodeOf } from "@agent-canary/conventions/cli";
import { Command, CommanderError } from "commander";
import { addGateRulesCommands } from "../../src/index.js";

const lines = (text: string) => text.split("\n").filter((l) => l !== "");

/** Runs the gate-rules commands as the agent-canary bin would, capturing output lines and the exit code of the shared table. */
export async function cli(args: string[]): Promise<{ code: number; out: string[]; err: string[]; stdout: string }> {
  let out = "";
  let err = "";
  const program = new Command("agent-canary").exitOverride().configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (err += s) });
  addGateRulesCommands(program, { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) } });
  let code = 0;
  try {
    await program.parseAsync(args, { from: "user" });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    code = exitCodeOf(error);
  }
  return { code, out: lines(out), err: lines(err), stdout: out };
}
