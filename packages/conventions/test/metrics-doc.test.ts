import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { metricsReferenceTable } from "@agent-canary/conventions";
import { describe, expect, it } from "vitest";

const readme = readFileSync(fileURLToPath(new URL("../../../README.md", import.meta.url)), "utf8");

describe("README metrics reference", () => {
  it("is the table generated from the metric catalog (run `node scripts/docs.mjs` after changing the catalog)", () => {
    const start = readme.indexOf("<!-- metrics:start -->");
    const end = readme.indexOf("<!-- metrics:end -->");
    expect(start).toBeGreaterThan(-1);
    expect(readme.slice(start + "<!-- metrics:start -->".length, end).trim()).toBe(metricsReferenceTable());
  });

  it("names duration metrics differently for the two export paths", () => {
    expect(metricsReferenceTable()).toContain("`agent_canary_session_duration` / `agent_canary_session_duration_seconds`");
  });
});
