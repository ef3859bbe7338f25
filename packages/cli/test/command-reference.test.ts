import { readFileSync } from "node:fs";
import { EXIT_CODES, exitCodesTable } from "@agent-canary/conventions/cli";
import { describe, expect, it } from "vitest";
import { buildProgram, cliReference } from "../src/index.js";

const README = new URL("../README.md", import.meta.url);

describe("CLI README command reference", () => {
  it("matches every command's --help (run `pnpm docs` after changing a command)", async () => {
    const readme = readFileSync(README, "utf8");
    const committed = /<!-- commands:start -->\n([\s\S]*)\n<!-- commands:end -->/.exec(readme)?.[1];
    expect(committed, "packages/cli/README.md lost its commands markers").toBeDefined();
    expect(committed).toBe(await cliReference());
  });

  it("lists the one exit-code table (run `pnpm docs` after changing it), also under `agent-canary --help`", async () => {
    const readme = readFileSync(README, "utf8");
    expect(/<!-- exit-codes:start -->\n([\s\S]*)\n<!-- exit-codes:end -->/.exec(readme)?.[1]).toBe(exitCodesTable());
    const top = (await cliReference()).split(/\n(?=### )/)[0] ?? "";
    for (const code of Object.values(EXIT_CODES)) expect(top).toMatch(new RegExp(`^ +${code}  \\S`, "m"));
  });

  it("documents the demo's own options, not the forwarder that loads it", async () => {
    const reference = await cliReference();
    expect(reference).toContain("### `agent-canary demo`");
    expect(reference).toContain("--scenario <name>");
  });

  it("shows an example in the help of every command that does something", async () => {
    const reference = await cliReference();
    const groups = new Set(["agent-canary", "agent-canary rollout", "agent-canary shadow"]);
    const sections = reference.split(/\n(?=### )/);
    const missing = sections
      .map((section) => ({ name: /^### `([^`]+)`/.exec(section)?.[1] ?? "?", section }))
      .filter(({ name, section }) => !groups.has(name) && !/\$ agent-canary /.test(section))
      .map(({ name }) => name);
    expect(missing).toEqual([]);
    // Every command of the program is in the reference.
    const names: string[] = [];
    const walk = (command: ReturnType<typeof buildProgram>, path: string): void => {
      for (const sub of command.commands) {
        if (sub.name() === "help") continue;
        names.push(`${path} ${sub.name()}`);
        walk(sub, `${path} ${sub.name()}`);
      }
    };
    walk(buildProgram(), "agent-canary");
    expect(names.length).toBeGreaterThan(10);
    for (const name of names) expect(reference).toContain(`### \`${name}\``);
  });
});
