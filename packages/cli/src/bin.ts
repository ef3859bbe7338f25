#!/usr/bin/env node
import { buildProgram } from "./program.js";

buildProgram()
  .parseAsync(process.argv)
  .catch((error: unknown) => {
    // Commands report their own errors with the field and fix; this is the last resort.
    process.stderr.write(`agent-canary: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
