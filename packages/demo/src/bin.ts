#!/usr/bin/env node
// `npx @agent-canary/demo`: the demo without installing the CLI.
import { runDemoCommand } from "./command.js";

runDemoCommand(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`agent-canary demo: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 2;
});
