#!/usr/bin/env node
// `npx @agent-canary/demo`: the demo without installing the CLI.
import { EXIT_CODES } from "@agent-canary/conventions/cli";
import { CommanderError } from "commander";
import { runDemoCommand } from "./command.js";

runDemoCommand(process.argv.slice(2)).catch((error: unknown) => {
  // A CommanderError was already reported (the flag, or the help asked for); anything else is a bug: its stack says where.
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode;
    return;
  }
  process.stderr.write(`agent-canary demo: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = EXIT_CODES.failed;
});
