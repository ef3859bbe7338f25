import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { Command, CommanderError } from "commander";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { CliError, describeFailure, emit, EXIT_CODES, exitCodeOf, flagIssueMessage, parseFlags, runCommand, usageError, type CliIo } from "../src/cli/index.js";

/** A command as the binary builds it: exits become CommanderErrors with the table's code. */
function program(): { command: Command; err: () => string } {
  let err = "";
  const command = new Command("x").exitOverride((e) => {
    throw new CommanderError(exitCodeOf(e), e.code, e.message);
  });
  command.configureOutput({ writeErr: (s) => (err += s), writeOut: () => undefined });
  return { command, err: () => err };
}

async function exitOf(body: () => Promise<void>, userErrors: (new (message: string) => Error)[] = []): Promise<{ code: number; err: string }> {
  const { command, err } = program();
  try {
    await runCommand(command, body, userErrors);
    return { code: 0, err: err() };
  } catch (error) {
    if (error instanceof CommanderError) return { code: error.exitCode, err: err() };
    throw error;
  }
}

describe("the shared CLI module", () => {
  it("names the flag, the value given and the fix for a bad flag value, as a usage error (exit 2)", () => {
    const schema = z.object({ timeoutMs: z.coerce.number().int().positive("give a number above 0"), risk: z.enum(["low", "high"]) });
    expect(() => parseFlags(schema, { timeoutMs: "-5", risk: "low" })).toThrow("--timeout-ms -5: give a number above 0");
    const thrown = (() => {
      try {
        parseFlags(schema, { timeoutMs: "5", risk: "huge" });
      } catch (error) {
        return error;
      }
    })();
    expect(thrown).toBeInstanceOf(CliError);
    expect((thrown as CliError).exitCode).toBe(EXIT_CODES.usage);
    expect((thrown as CliError).message).toMatch(/^--risk huge: /);
    // A positional argument or a renamed flag is named as given.
    const issue = schema.safeParse({ timeoutMs: "x", risk: "low" }).error?.issues[0];
    expect(flagIssueMessage(issue, { timeoutMs: "x" }, { timeoutMs: "<timeout>" })).toMatch(/^<timeout> x: /);
    expect(parseFlags(schema, { timeoutMs: "250", risk: "high" })).toEqual({ timeoutMs: 250, risk: "high" });
  });

  it("prints one line and exits with the error's code; a package's own user errors and file errors exit 1; a bug keeps its stack", async () => {
    expect(await exitOf(async () => undefined)).toEqual({ code: EXIT_CODES.ok, err: "" });
    expect(await exitOf(() => Promise.reject(usageError("--percent 150: give a number from 0 to 100")))).toEqual({ code: 2, err: "error: --percent 150: give a number from 0 to 100\n" });
    expect(await exitOf(() => Promise.reject(new CliError("not ready", EXIT_CODES.checkFailed)))).toEqual({ code: 3, err: "error: not ready\n" });
    class StoreBusy extends Error {}
    expect(await exitOf(() => Promise.reject(new StoreBusy("store busy: retry")), [StoreBusy])).toEqual({ code: 1, err: "error: store busy: retry\n" });
    const missing = await exitOf(async () => {
      await readFile("/nonexistent/gates.yaml");
    });
    expect(missing).toEqual({ code: 1, err: "error: /nonexistent/gates.yaml: no such file or directory (ENOENT)\n" });
    const zod = await exitOf(async () => {
      z.object({ stages: z.array(z.object({ percent: z.number().max(100) })) }).parse({ stages: [{ percent: 250 }] });
    });
    expect(zod.code).toBe(1);
    expect(zod.err).toMatch(/^error: stages\.0\.percent: /);
    const bug = new TypeError("undefined is not a function");
    await expect(exitOf(() => Promise.reject(bug))).rejects.toBe(bug);
    expect(describeFailure(new Error("plain"))).toBeUndefined();
  });

  it("--json prints one JSON document; without it, the lines a person reads", () => {
    let out = "";
    const io: CliIo = { stdout: { write: (s: string) => (out += s) }, stderr: { write: () => true }, env: {} };
    emit(io, true, { a: [1, 2] }, () => ["never"]);
    expect(JSON.parse(out)).toEqual({ a: [1, 2] });
    out = "";
    emit(io, false, { a: 1 }, () => ["one", "two"]);
    expect(out).toBe("one\ntwo\n");
  });

  it("gives commander's own usage errors exit 2 and leaves help (0) as it is", () => {
    expect(exitCodeOf({ exitCode: 1, code: "commander.unknownOption" })).toBe(2);
    expect(exitCodeOf({ exitCode: 1, code: "commander.missingMandatoryOptionValue" })).toBe(2);
    expect(exitCodeOf({ exitCode: 0, code: "commander.helpDisplayed" })).toBe(0);
    expect(exitCodeOf({ exitCode: 3, code: "agent-canary.exit-3" })).toBe(3);
  });

  it("stays off the agent side: the package root never imports the CLI module", async () => {
    const root = await readFile(fileURLToPath(new URL("../src/index.ts", import.meta.url)), "utf8");
    expect(root).not.toMatch(/cli\//);
    const cliSources = await Promise.all(
      ["index", "exit-codes", "cli-error", "cli-io", "flag-issues", "run-command"].map((f) => readFile(fileURLToPath(new URL(`../src/cli/${f}.ts`, import.meta.url)), "utf8")),
    );
    for (const source of cliSources) expect(source).not.toMatch(/from "commander"/);
  });
});
