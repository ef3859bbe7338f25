import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Command, Help } from "commander";
import { EXIT_CODES } from "@agent-canary/conventions/cli";
import { describe, expect, it } from "vitest";
import { buildLazyProgram, buildProgram, CATALOG } from "../src/index.js";

const BIN = fileURLToPath(new URL("../dist/bin.js", import.meta.url));
const GATES = fileURLToPath(new URL("../../gate-rules/examples/gates.yaml", import.meta.url));
const PACKAGES = ["gate-rules", "rollout", "rollout-state", "shadow"] as const;

/** A preload that reports, at exit, which workspace packages' built modules were loaded. */
const hookDir = mkdtempSync(join(tmpdir(), "cli-lazy-"));
const HOOK = join(hookDir, "loaded.mjs");
writeFileSync(
  HOOK,
  `import { registerHooks } from "node:module";
const seen = new Set();
registerHooks({ resolve(specifier, context, next) { const r = next(specifier, context); seen.add(r.url); return r; } });
process.on("exit", () => process.stderr.write("\\n@@loaded " + JSON.stringify([...seen]) + "\\n"));
`,
);

/** Runs the built binary; returns its output and the agent-canary packages it loaded. */
function run(args: string[]): { status: number | null; stdout: string; stderr: string; loaded: string[] } {
  const res = spawnSync(process.execPath, ["--import", HOOK, BIN, ...args], { encoding: "utf8", cwd: hookDir, timeout: 120_000 });
  const urls = JSON.parse(/@@loaded (.*)/.exec(res.stderr)?.[1] ?? "[]") as string[];
  const loaded = PACKAGES.filter((p) => urls.some((u) => u.includes(`/packages/${p}/dist/`) || u.includes(`/@agent-canary/${p}/dist/`)));
  return { status: res.status, stdout: res.stdout, stderr: res.stderr, loaded };
}

describe("the agent-canary binary loads a command's package only when it runs", () => {
  it("lists every command in --help exactly as the fully loaded program does", () => {
    expect(buildLazyProgram().helpInformation()).toBe(buildProgram().helpInformation());
  });

  it("has a catalog entry, term and description for every command the packages register", () => {
    const help = new Help();
    const real = buildProgram().commands.filter((c) => c.name() !== "demo");
    expect(real.map((c) => c.name())).toEqual(CATALOG.map((e) => e.name));
    for (const command of real) {
      const entry = CATALOG.find((e) => e.name === command.name());
      expect([help.subcommandTerm(command), command.description()]).toEqual([entry?.term, entry?.description]);
    }
  });

  it("names the right package for each command", async () => {
    for (const entry of CATALOG) {
      const program = (await entry.from.load())(new Command("agent-canary"));
      expect(program.commands.map((c) => c.name()), `${entry.name} from ${entry.from.name}`).toContain(entry.name);
    }
  });

  it("answers --help and --version without loading any package", () => {
    const help = run(["--help"]);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain("rules [options]");
    expect(help.loaded).toEqual([]);
    const version = run(["--version"]);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect(version.loaded).toEqual([]);
  });

  it("runs validate with the gate rules alone, and rollout status with the rollout commands and the state alone", () => {
    const validate = run(["validate", GATES]);
    expect(validate.status).toBe(0);
    expect(validate.stdout).toContain("valid.");
    expect(validate.loaded).toEqual(["gate-rules"]);
    const status = run(["rollout", "status", "--store", `file:${join(hookDir, "state")}`]);
    expect(status.status).toBe(0);
    expect(status.stdout + status.stderr).toContain("no deployments");
    // Through the rollout package's CLI entry: not the rule generator, not the receiver's server.
    expect(status.loaded).toEqual(["rollout", "rollout-state"]);
  });

  it("gives a command's own help through `help <command>` and `<command> --help`", () => {
    for (const args of [["help", "rules"], ["rules", "--help"]]) {
      const res = run(args);
      expect(res.status, args.join(" ")).toBe(0);
      expect(res.stdout).toContain("Usage: agent-canary rules [options]");
      expect(res.stdout).toContain("--out <dir>");
    }
    const nested = run(["rollout", "status", "--help"]);
    expect(nested.stdout).toContain("Usage: agent-canary rollout status [options]");
  });

  it("keeps commander's errors: an unknown subcommand is suggested and exits 2, a usage error", () => {
    const res = run(["rollout", "stauts"]);
    expect(res.status).toBe(EXIT_CODES.usage);
    expect(res.stderr).toContain("Did you mean status?");
  });
});
