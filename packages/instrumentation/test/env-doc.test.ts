import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ENV_VARS, envVarsTable } from "@agent-canary/instrumentation";
import { describe, expect, it } from "vitest";

const readme = readFileSync(fileURLToPath(new URL("../README.md", import.meta.url)), "utf8");

describe("README environment variables", () => {
  it("are the table generated from ENV_VARS (run `pnpm -s docs` after changing ENV_VARS)", () => {
    const committed = /<!-- env:start -->\n([\s\S]*)\n<!-- env:end -->/.exec(readme)?.[1];
    expect(committed, "packages/instrumentation/README.md lost its <!-- env:start --> ... <!-- env:end --> markers").toBeDefined();
    expect(committed).toBe(envVarsTable());
  });

  it("list every variable the preload reads, one row each", () => {
    const table = envVarsTable();
    for (const name of Object.keys(ENV_VARS)) expect(table.split("\n").filter((line) => line.startsWith(`| \`${name}\` |`))).toHaveLength(1);
    expect(table.split("\n")).toHaveLength(Object.keys(ENV_VARS).length + 2);
  });
});
