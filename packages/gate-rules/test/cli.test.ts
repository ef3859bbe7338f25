import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Command } from "commander";
import { afterEach, describe, expect, it } from "vitest";
import { EXIT_CODES } from "@agent-canary/conventions/cli";
import { addGateRulesCommands, RULE_FILES } from "../src/index.js";
import { cli } from "./helpers/cli.js";
import { tempDir } from "./helpers/promtool.js";

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

describe("CLI commands", () => {
  it("validate: 0 for a good config, 1 with file:line: field for a bad one or a missing file, 2 without the file argument", async () => {
    dir = await tempDir("cli");
    const good = join(dir, "gates.yaml");
    const bad = join(dir, "bad.yaml");
    await writeFile(good, "deployments: [a]\n");
    await writeFile(bad, "deployments: [a]\nexport: prom\n");
    expect((await cli(["validate", good])).code).toBe(EXIT_CODES.ok);
    const invalid = await cli(["validate", bad]);
    expect(invalid.code).toBe(EXIT_CODES.failed);
    expect(invalid.err[0]).toMatch(new RegExp(`${bad}:2: export: export must be prometheus`));
    const missing = await cli(["validate", join(dir, "missing.yaml")]);
    expect(missing.code).toBe(EXIT_CODES.failed);
    expect(missing.err[0]).toContain("file not found");
    expect((await cli(["validate"])).code).toBe(EXIT_CODES.usage);
    const asJson = await cli(["validate", bad, "--json"]);
    expect(asJson.code).toBe(EXIT_CODES.failed);
    expect(JSON.parse(asJson.stdout)).toMatchObject({ file: bad, valid: false, problems: [{ line: 2, field: "export" }] });
    expect(JSON.parse((await cli(["validate", good, "--json"])).stdout)).toMatchObject({ file: good, valid: true, deployments: ["a"] });
  });

  it("rules writes every file; an invalid config writes nothing", async () => {
    dir = await tempDir("cli");
    const config = join(dir, "gates.yaml");
    await writeFile(config, "deployments: [a]\n");
    const ok = await cli(["rules", "--config", config, "--out", join(dir, "out")]);
    expect(ok.code).toBe(EXIT_CODES.ok);
    for (const path of Object.values(RULE_FILES)) expect((await readFile(join(dir, "out", path), "utf8")).length).toBeGreaterThan(100);
    for (const text of ["deployments: []\n", "deployments: [a]\ngates:\n  - {kind: cost_per_session, window: 0s}\n", ""]) {
      await writeFile(config, text);
      const failed = await cli(["rules", "--config", config, "--out", join(dir, "out2")]);
      expect(failed.code).toBe(EXIT_CODES.failed);
      expect(failed.err[0]).toMatch(new RegExp(`^error: ${config}:\\d+: \\S+: `));
      expect(failed.err.at(-1)).toBe("nothing was written; fix the config and run again");
      await expect(readFile(join(dir, "out2", RULE_FILES.recording))).rejects.toThrow();
    }
  });

  it("dashboards writes the dashboard JSON; every command has help with examples", async () => {
    dir = await tempDir("cli");
    expect((await cli(["dashboards", "--out", dir])).code).toBe(EXIT_CODES.ok);
    const json = JSON.parse(await readFile(join(dir, "agent-canary-gates.json"), "utf8")) as { uid: string };
    expect(json.uid).toBe("agent-canary-gates");
    const program = addGateRulesCommands(new Command("agent-canary"));
    for (const name of ["validate", "rules", "dashboards"]) {
      const command = program.commands.find((c) => c.name() === name);
      let help = "";
      command?.configureOutput({ writeOut: (s) => (help += s) }).outputHelp();
      expect(help).toContain("Examples:");
    }
  });
});
