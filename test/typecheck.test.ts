import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
// A hang guard, not a speed limit: a full check takes about a minute and a half on 2 busy cores.
const HANG_GUARD_MS = 600_000;

/** Runs the workspace's tsc on tsconfig.tests.json; resolves with its diagnostics, one per line, and its exit code. */
function typecheckTests(): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [tsc, "-p", join(root, "tsconfig.tests.json"), "--pretty", "false"], { cwd: root, timeout: HANG_GUARD_MS, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      if (error && error.killed) return reject(new Error(`tsc did not finish within ${HANG_GUARD_MS} ms`));
      resolve({ code: error ? (typeof error.code === "number" ? error.code : null) : 0, output: `${stdout}${stderr}` });
    });
  });
}

describe("test files", () => {
  it("type-check under the same strict settings as the sources (tsconfig.tests.json)", async () => {
    const { code, output } = await typecheckTests();
    // Each diagnostic starts "path(line,col): error TSnnnn"; continuation lines are indented.
    const errors = output.split("\n").filter((line) => /: error TS\d+:/.test(line));
    expect(errors, `npx tsc -p tsconfig.tests.json reports:\n${output}`).toEqual([]);
    expect(code, output).toBe(0);
  }, HANG_GUARD_MS + 30_000);
});
