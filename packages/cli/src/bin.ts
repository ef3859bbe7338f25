#!/usr/bin/env node
import { runCli } from "./startup/lazy-program.js";

// The lazy program: a command loads its package only when it runs (see startup/).
runCli(process.argv).catch((error: unknown) => {
  // Commands report their own errors with the field and fix; this is the last resort.
  process.stderr.write(`agent-canary: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
