import type { Command } from "commander";
import type { ShadowCommandIo } from "./cli-io.js";
import { addReplayCommand } from "./replay-command.js";
import { addReportCommand } from "./report-command.js";

/** Adds `shadow report` and `shadow replay` to a commander program (the agent-canary bin); returns the program. */
export function addShadowCommands(program: Command, overrides: Partial<ShadowCommandIo> = {}): Command {
  const io: ShadowCommandIo = { stdout: process.stdout, stderr: process.stderr, env: process.env, ...overrides };
  const shadow = program.command("shadow").description("Shadow mode: compare a candidate version with production on real traffic");
  addReportCommand(shadow, io);
  addReplayCommand(shadow, io);
  return program;
}
