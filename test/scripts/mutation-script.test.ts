// scripts/mutation.sh's argument handling and the files it writes, without Stryker: the script,
// mutation/stryker.config.mjs, targets.mjs, summary.mjs and equivalents.json are copied into a
// temporary root whose node_modules/.bin/stryker is a stand-in. The stand-in loads the real config
// (with the environment the script gave it), records what it was asked, and writes the JSON report
// (and the incremental file, when the run is incremental) where that config says, as Stryker does.
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runProcess, type ProcessRun } from "@agent-canary/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const COPIED = ["scripts/mutation.sh", "mutation/stryker.config.mjs", "mutation/targets.mjs", "mutation/summary.mjs", "mutation/equivalents.json"];

/** What the stand-in saw: its arguments and the config's report paths, and the incremental file it found. */
interface StrykerCall {
  argv: string[];
  report: string;
  incremental: boolean;
  incrementalFile: string;
  incrementalFound: string | null;
}

// CommonJS (no package.json in the root): the config is ESM, loaded with import().
const STAND_IN = `#!/usr/bin/env node
const { existsSync, mkdirSync, readFileSync, writeFileSync, appendFileSync } = require("node:fs");
const { dirname, resolve } = require("node:path");
const argv = process.argv.slice(2);
import(resolve(argv[1])).then(({ default: config }) => {
  const mutate = argv.includes("--mutate") ? argv[argv.indexOf("--mutate") + 1].split(",") : config.mutate;
  const found = existsSync(config.incrementalFile) ? readFileSync(config.incrementalFile, "utf8") : null;
  appendFileSync("stryker-calls.jsonl", JSON.stringify({ argv, report: config.jsonReporter.fileName, incremental: config.incremental, incrementalFile: config.incrementalFile, incrementalFound: found }) + "\\n");
  if (process.env.STAND_IN_NO_REPORT) process.exit(1);
  const mutant = (id, status) => ({ id, mutatorName: "StringLiteral", replacement: '""', status, location: { start: { line: 1, column: 11 }, end: { line: 1, column: 14 } } });
  const files = Object.fromEntries(mutate.map((file) => [file, { language: "typescript", source: 'const a = "x";\\n', mutants: [mutant(file + "#1", "Killed"), mutant(file + "#2", "Survived")] }]));
  mkdirSync(dirname(config.jsonReporter.fileName), { recursive: true });
  writeFileSync(config.jsonReporter.fileName, JSON.stringify({ schemaVersion: "2", thresholds: { high: 80, low: 60 }, files }));
  if (config.incremental) writeFileSync(config.incrementalFile, "incremental of " + mutate.join(","));
});
`;

let root = "";
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "mutation-script-"));
  for (const file of COPIED) {
    mkdirSync(join(root, file, ".."), { recursive: true });
    copyFileSync(join(REPO, file), join(root, file));
  }
  mkdirSync(join(root, "node_modules/.bin"), { recursive: true });
  writeFileSync(join(root, "node_modules/.bin/stryker"), STAND_IN);
  chmodSync(join(root, "node_modules/.bin/stryker"), 0o755);
  mkdirSync(join(root, "reports/mutation"), { recursive: true });
  mkdirSync(join(root, "bench/results"), { recursive: true });
});
afterEach(() => rm(root, { recursive: true, force: true }));

function mutationSh(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<ProcessRun> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("AGENT_CANARY_MUTATION")));
  return runProcess("bash", [join(root, "scripts/mutation.sh"), ...args], { cwd: tmpdir(), env: { ...clean, ...env } });
}

const at = (path: string) => join(root, path);
const read = (path: string) => readFileSync(at(path), "utf8");
const calls = (): StrykerCall[] => read("stryker-calls.jsonl").trim().split("\n").map((line) => JSON.parse(line) as StrykerCall);
const SHADOW = "packages/gate-rules/src/prometheus/shadow.ts";
const RENDER = "packages/gate-rules/src/prometheus/render.ts";

describe("scripts/mutation.sh", () => {
  it("a narrowed run writes <target>.narrowed.json and leaves the full run's report, its incremental file and mutation.md alone", async () => {
    writeFileSync(at("reports/mutation/gate-rules-promql.json"), "the last full run's report");
    writeFileSync(at("reports/mutation/gate-rules-promql.incremental.json"), "the last full run's incremental file");
    writeFileSync(at("bench/results/mutation.md"), "# recorded\n");
    const result = await mutationSh(["gate-rules-promql", SHADOW, RENDER], { AGENT_CANARY_MUTATION_INCREMENTAL: "1" });
    expect(result.code, result.stderr).toBe(0);
    const [call] = calls();
    expect(call?.argv).toEqual(["run", "mutation/stryker.config.mjs", "--mutate", `${SHADOW},${RENDER}`]);
    expect(call).toMatchObject({
      report: "reports/mutation/gate-rules-promql.narrowed.json",
      incremental: true,
      incrementalFile: "reports/mutation/gate-rules-promql.narrowed.incremental.json",
      // It started from the full run's results, so it still re-tests only what changed.
      incrementalFound: "the last full run's incremental file",
    });
    expect(read("reports/mutation/gate-rules-promql.json")).toBe("the last full run's report");
    expect(read("reports/mutation/gate-rules-promql.incremental.json")).toBe("the last full run's incremental file");
    expect(read("reports/mutation/gate-rules-promql.narrowed.incremental.json")).toBe(`incremental of ${SHADOW},${RENDER}`);
    expect(read("bench/results/mutation.md")).toBe("# recorded\n");
    // The summary is of the narrowed report: two files, one killed and one survivor each.
    expect(result.stdout).toContain("mutation score: 50.0% (gate-rules-promql");
    expect(result.stdout).toContain("4 mutants: killed 2");
    // Equivalents of files it did not mutate are not called stale.
    expect(result.stdout).not.toMatch(/note: equivalents\.json lists packages\/gate-rules\/src\/prometheus\/(verdicts|inputs|selectors)\.ts/);
  });

  it("a full run writes <target>.json and its incremental file, and its section of mutation.md", async () => {
    writeFileSync(at("reports/mutation/conventions.json"), "an older full run's report");
    writeFileSync(at("reports/mutation/conventions.narrowed.json"), "a narrowed run's report");
    writeFileSync(at("bench/results/mutation.md"), "# recorded\n");
    const result = await mutationSh(["conventions"], { AGENT_CANARY_MUTATION_INCREMENTAL: "1" });
    expect(result.code, result.stderr).toBe(0);
    const [call] = calls();
    expect(call?.argv).toEqual(["run", "mutation/stryker.config.mjs"]);
    expect(call).toMatchObject({ report: "reports/mutation/conventions.json", incrementalFile: "reports/mutation/conventions.incremental.json", incrementalFound: null });
    expect(JSON.parse(read("reports/mutation/conventions.json"))).toHaveProperty("files");
    expect(read("reports/mutation/conventions.incremental.json")).toMatch(/^incremental of packages\/conventions\/src\//);
    expect(read("reports/mutation/conventions.narrowed.json")).toBe("a narrowed run's report");
    expect(read("bench/results/mutation.md")).toContain("## conventions\n\nmutation score: 50.0%");
  });

  it("a narrowed run of a target without incremental results makes no incremental file", async () => {
    const result = await mutationSh(["conventions", "packages/conventions/src/routing.ts"], { AGENT_CANARY_MUTATION_INCREMENTAL: "0" });
    expect(result.code, result.stderr).toBe(0);
    expect(calls()[0]).toMatchObject({ report: "reports/mutation/conventions.narrowed.json", incremental: false, incrementalFound: null });
    expect(existsSync(at("reports/mutation/conventions.narrowed.incremental.json"))).toBe(false);
    expect(existsSync(at("reports/mutation/conventions.json"))).toBe(false);
  });

  it("without a target prints its usage and exits 2; --help exits 0; an unknown target exits 2 naming the known ones; nothing runs", async () => {
    const none = await mutationSh([]);
    expect(none.code).toBe(2);
    expect(none.stdout).toContain("bash scripts/mutation.sh <package> [files...]");
    expect(none.stdout).toContain("<package>.narrowed.json");
    const help = await mutationSh(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toBe(none.stdout);
    const unknown = await mutationSh(["no-such-target"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^mutation: .*no-such-target.*conventions/);
    expect(existsSync(at("stryker-calls.jsonl"))).toBe(false);
  });

  it("a Stryker that writes no report fails the run (exit 1), naming the report it expected", async () => {
    writeFileSync(at("reports/mutation/gate-rules-promql.narrowed.json"), "an earlier narrowed run's report");
    const result = await mutationSh(["gate-rules-promql", SHADOW], { STAND_IN_NO_REPORT: "1" });
    expect(result.code).toBe(1);
    // The earlier narrowed report was removed first, so it cannot pass for this run's.
    expect(result.stderr).toContain("mutation: Stryker wrote no report (reports/mutation/gate-rules-promql.narrowed.json); exit status 1");
  });
});
