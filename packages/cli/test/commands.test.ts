import { mkdtempSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { EXIT_CODES } from "@agent-canary/conventions/cli";
import { runProcess, type ProcessRun } from "@agent-canary/testkit";
import type { Command } from "commander";
import { afterAll, describe, expect, it } from "vitest";
import { buildProgram } from "../src/index.js";

/*
 * Every command of the real `agent-canary` binary (built dist/, spawned as a user runs it) against
 * the conventions of the shared CLI module: --help exits 0, a bad flag exits 2 with one line naming
 * the flag, and --json prints one parseable JSON document. The tables below must name every
 * command the packages register, so a new command cannot skip them.
 */

const BIN = fileURLToPath(new URL("../dist/bin.js", import.meta.url));
const GATES = fileURLToPath(new URL("../../gate-rules/examples/gates.yaml", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "cli-commands-"));
const STORE = `file:${join(dir, "state")}`;
const AGENT = join(dir, "candidate.mjs");
const INPUTS = join(dir, "inputs.jsonl");
const COMPARISONS = join(dir, "comparisons.jsonl");
afterAll(() => rm(dir, { recursive: true, force: true }));

writeFileSync(
  AGENT,
  `export default { candidate: { version: "cccccccccccccccc", run: async (input) => "refund for " + input.orderId }, tools: {} };\n`,
);
writeFileSync(
  INPUTS,
  ["o-1", "o-2"]
    .map((id) =>
      JSON.stringify({
        id,
        input: { orderId: id },
        production: { versionHash: "aaaaaaaaaaaaaaaa", output: `refund for ${id}`, outcome: "completed", toolCalls: [], turns: 1, steps: 1, costUsd: 0.001, durationMs: 5 },
      }),
    )
    .join("\n") + "\n",
);

type Run = ProcessRun;

function run(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return runProcess(process.execPath, [BIN, ...args], { cwd: dir, env: { ...process.env, AGENT_CANARY_STORE: STORE, ...env } });
}

/** Runs the cases a few at a time (2 cores shared with other work), keeping their order in the result. */
async function runAll(cases: readonly (readonly string[])[], width = 3): Promise<Run[]> {
  const results: Run[] = [];
  for (let i = 0; i < cases.length; i += width) results.push(...(await Promise.all(cases.slice(i, i + width).map((args) => run(args)))));
  return results;
}

/** Every command path of the fully loaded program (not `help`; `demo` is its own package, a forwarder here: its flags are tested below, its runs in test/e2e/demo.test.ts). */
function commandPaths(command: Command, path: readonly string[] = []): { path: string[]; command: Command }[] {
  return command.commands
    .filter((sub) => sub.name() !== "help" && sub.name() !== "demo")
    .flatMap((sub) => [{ path: [...path, sub.name()], command: sub }, ...commandPaths(sub, [...path, sub.name()])]);
}

const ALL = commandPaths(buildProgram());
const LEAVES = ALL.filter(({ command }) => command.commands.length === 0);
const key = (path: readonly string[]) => path.join(" ");

/** For each command: its other required flags filled in, and one flag given a malformed value, which the error must name. */
const BAD_VALUE: Record<string, { args: string[]; flag: string }> = {
  validate: { args: [], flag: "config" },
  rules: { args: ["--config", GATES, "--format", "yaml"], flag: "--format" },
  dashboards: { args: ["--namespace", "monitoring"], flag: "--namespace" },
  receiver: { args: ["--port", "eighty"], flag: "--port" },
  "rollout start": { args: ["--deployment", "Shop!", "--canary", "00000000000000bb"], flag: "--deployment" },
  "rollout status": { args: ["--audit", "-3"], flag: "--audit" },
  "rollout set": { args: ["--deployment", "shop", "--percent", "150"], flag: "--percent" },
  "rollout pause": { args: ["--deployment", "Shop!"], flag: "--deployment" },
  "rollout resume": { args: ["--deployment", "Shop!"], flag: "--deployment" },
  "rollout rollback": { args: ["--deployment", "Shop!"], flag: "--deployment" },
  "rollout accept": { args: ["--deployment", "shop"], flag: "--gate" },
  "rollout promote": { args: ["--deployment", "Shop!"], flag: "--deployment" },
  "rollout capability list": { args: ["--deployment", "Shop!"], flag: "--deployment" },
  "rollout capability set": { args: ["--deployment", "shop", "--name", "refunds", "--percent", "ten"], flag: "--percent" },
  "rollout capability disable": { args: ["--deployment", "shop"], flag: "--name" },
  "rollout capability enable": { args: ["--deployment", "shop", "--name", "refunds", "--percent", "101"], flag: "--percent" },
  "rollout controller": { args: ["--gates", GATES, "--prometheus-url", "ftp://prometheus"], flag: "--prometheus-url" },
  "shadow report": { args: [COMPARISONS, "--risk", "low", "--examples", "-1"], flag: "--examples" },
  "shadow replay": { args: ["--inputs", INPUTS, "--agent", AGENT, "--out", COMPARISONS, "--concurrency", "0"], flag: "--concurrency" },
};

/** Runs, in this order, that succeed and print JSON with --json: a rollout is started first (start has no --json: it may run for days). */
const JSON_RUNS: [string, string[]][] = [
  ["validate", [GATES]],
  ["rules", ["--config", GATES, "--out", join(dir, "rules")]],
  ["dashboards", ["--out", join(dir, "dashboards")]],
  ["rollout set", ["--deployment", "shop", "--percent", "10"]],
  ["rollout pause", ["--deployment", "shop"]],
  ["rollout resume", ["--deployment", "shop"]],
  ["rollout accept", ["--deployment", "shop", "--gate", "loops", "--reason", "rare here"]],
  ["rollout capability set", ["--deployment", "shop", "--name", "refunds", "--percent", "5"]],
  ["rollout capability disable", ["--deployment", "shop", "--name", "refunds"]],
  ["rollout capability enable", ["--deployment", "shop", "--name", "refunds"]],
  ["rollout capability list", ["--deployment", "shop"]],
  ["rollout status", ["--deployment", "shop"]],
  ["rollout promote", ["--deployment", "shop", "--archive-dir", join(dir, "records")]],
  ["rollout rollback", ["--deployment", "shop"]],
  ["shadow replay", ["--inputs", INPUTS, "--agent", AGENT, "--out", COMPARISONS, "--no-progress"]],
  ["shadow report", [COMPARISONS, "--risk", "low"]],
];

const hasJson = (command: Command) => command.options.some((o) => o.long === "--json");

describe("every agent-canary command (the built binary)", () => {
  it("the tables name every command the packages register", () => {
    expect(LEAVES.length).toBeGreaterThan(15);
    expect(Object.keys(BAD_VALUE).sort()).toEqual(LEAVES.map(({ path }) => key(path)).sort());
    expect(JSON_RUNS.map(([name]) => name).sort()).toEqual(LEAVES.filter(({ command }) => hasJson(command)).map(({ path }) => key(path)).sort());
  });

  it("--help prints the command's usage and exits 0", async () => {
    const results = await runAll(ALL.map(({ path }) => [...path, "--help"]));
    ALL.forEach(({ path }, i) => {
      const result = results[i] as Run;
      expect(result.code, key(path)).toBe(EXIT_CODES.ok);
      expect(result.stdout, key(path)).toContain(`Usage: agent-canary ${key(path)}`);
    });
  });

  it("an unknown flag exits 2 with one error line naming it, and the hint to --help", async () => {
    // The required flags and arguments are given (commander reports a missing one first).
    const required = (command: Command) => [
      ...command.options.filter((o) => o.mandatory).flatMap((o) => [o.long ?? "", o.argChoices?.[0] ?? "x"]),
      ...command.registeredArguments.filter((a) => a.required).map(() => "x"),
    ];
    const results = await runAll(LEAVES.map(({ path, command }) => [...path, ...required(command), "--no-such-flag"]));
    LEAVES.forEach(({ path }, i) => {
      const result = results[i] as Run;
      expect(result.code, key(path)).toBe(EXIT_CODES.usage);
      expect(result.stderr.split("\n")[0], key(path)).toBe("error: unknown option '--no-such-flag'");
      expect(result.stderr, key(path)).toContain("--help");
    });
  });

  it("a malformed or missing flag value exits 2 with one line naming the flag, and changes nothing", async () => {
    const results = await runAll(LEAVES.map(({ path }) => [...path, ...(BAD_VALUE[key(path)]?.args ?? [])]));
    LEAVES.forEach(({ path }, i) => {
      const result = results[i] as Run;
      const { flag } = BAD_VALUE[key(path)] ?? { flag: "?" };
      const errors = result.stderr.split("\n").filter((line) => line.startsWith("error:"));
      expect(result.code, `${key(path)}\n${result.stderr}`).toBe(EXIT_CODES.usage);
      expect(errors, key(path)).toHaveLength(1);
      expect(errors[0], key(path)).toContain(flag);
      expect(result.stdout, key(path)).toBe("");
    });
    // Nothing ran: no state was written by any of them.
    expect((await run(["rollout", "status", "--json"])).stdout.trim()).toBe("[]");
  });

  it("--json prints one JSON document on stdout", async () => {
    const started = await run(["rollout", "start", "--deployment", "shop", "--baseline", "00000000000000aa", "--canary", "00000000000000bb", "--plan", "low"]);
    expect(started.code, started.stderr).toBe(EXIT_CODES.ok);
    for (const [name, args] of JSON_RUNS) {
      if (name === "rollout rollback") await run(["rollout", "start", "--deployment", "shop", "--canary", "00000000000000cc", "--plan", "low"]);
      const result = await run([...name.split(" "), ...args, "--json"]);
      expect(result.code, `${name}\n${result.stderr}`).toBe(EXIT_CODES.ok);
      expect(() => JSON.parse(result.stdout) as unknown, `${name}: ${result.stdout}`).not.toThrow();
    }
  });

  it("--json output says what happened: a change, a refused check, the state", async () => {
    expect((await run(["rollout", "start", "--deployment", "desk", "--baseline", "00000000000000aa", "--canary", "00000000000000bb", "--plan", "low"])).code).toBe(EXIT_CODES.ok);
    const set = JSON.parse((await run(["rollout", "set", "--deployment", "desk", "--percent", "20", "--json"])).stdout) as { status: string; state: { canaryPercent: number } };
    expect(set).toMatchObject({ status: "changed", state: { canaryPercent: 20 } });
    const again = JSON.parse((await run(["rollout", "set", "--deployment", "desk", "--percent", "20", "--json"])).stdout) as { status: string; reason: string };
    expect(again.status).toBe("unchanged");
    const bad = join(dir, "bad-gates.yaml");
    writeFileSync(bad, "deployments: [a]\nexport: prom\n");
    const invalid = await run(["validate", bad, "--json"]);
    expect(invalid.code).toBe(EXIT_CODES.failed);
    expect(JSON.parse(invalid.stdout)).toMatchObject({ valid: false, problems: [{ file: bad, line: 2, field: "export", message: expect.any(String) }] });
    const check = await run(["shadow", "report", COMPARISONS, "--risk", "critical", "--check", "--json"]);
    expect(check.code).toBe(EXIT_CODES.checkFailed);
    expect(JSON.parse(check.stdout)).toMatchObject({ candidates: [expect.objectContaining({ candidateVersion: "cccccccccccccccc" })] });
  });
});

/** `demo` with one flag wrong, and the flag its one error line must name. None of them runs a scenario. */
const DEMO_BAD_FLAGS: { args: string[]; names: string }[] = [
  { args: ["--scenario", "nope"], names: "'-s, --scenario <name>' argument 'nope'" },
  { args: ["--bogus"], names: "'--bogus'" },
  { args: ["--seed", "x"], names: "--seed x: give a whole number" },
  { args: ["--seed", ""], names: "--seed : give a whole number" },
  { args: ["--concurrency", "0"], names: "--concurrency 0: give a whole number from 1 to 64" },
  { args: ["--speed", "-1"], names: "--speed -1: give a number above 0" },
  { args: ["--speed", "fast"], names: "--speed fast: give a number above 0" },
  { args: ["-s"], names: "'-s, --scenario <name>' argument missing" },
  { args: ["cost"], names: "too many arguments for 'demo'" },
];

describe("agent-canary demo's command line (the built binary, forwarding to @agent-canary/demo)", () => {
  it("a wrong flag exits 2 with one error line naming the flag and the fix, as every other command, and runs nothing", async () => {
    const results = await runAll(DEMO_BAD_FLAGS.map(({ args }) => ["demo", ...args]));
    DEMO_BAD_FLAGS.forEach(({ args, names }, i) => {
      const result = results[i] as Run;
      const label = `demo ${args.join(" ")}\n${result.stderr}`;
      expect(result.code, label).toBe(EXIT_CODES.usage);
      const errors = result.stderr.split("\n").filter((line) => line.startsWith("error:"));
      expect(errors, label).toHaveLength(1);
      expect(errors[0], label).toContain(names);
      // Nothing else: no "invalid options" block, no stack, no timeline.
      expect(result.stderr.split("\n").filter((line) => line !== "" && !line.startsWith("error:") && line !== "(run with --help for usage)"), label).toEqual([]);
      expect(result.stdout, label).toBe("");
    });
  });

  it("--stack without its servers exits 1 with one error line naming what is missing and the way out", async () => {
    // An empty PATH: no prometheus, alertmanager or redis-server to find (node is spawned by its full path).
    const result = await run(["demo", "--stack", "--scenario", "cost"], { PATH: dir, AGENT_CANARY_PROMETHEUS_BIN: "" });
    expect(result.code, result.stderr).toBe(EXIT_CODES.failed);
    expect(result.stderr.trimEnd().split("\n"), result.stderr).toEqual([expect.stringMatching(/^error: --stack needs real servers: none of prometheus is on PATH\..*Without --stack the demo runs embedded/)]);
    expect(result.stdout).toBe("");
  });

  it("--help prints the scenarios and the exit codes, exit 0", async () => {
    const help = await run(["demo", "--help"]);
    expect(help.code).toBe(EXIT_CODES.ok);
    expect(help.stdout).toContain("Usage: agent-canary demo [options]");
    expect(help.stdout).toContain("Exit codes:\n    0  done");
    expect(help.stdout).toMatch(/For the demo, 3 means a scenario did not end as a working product should/);
  });
});
