import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { defaultDashboardConfig, generateDashboardFiles, generateRuleFiles, loadGatesConfig, staleFiles } from "../src/index.js";

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const REGENERATE = "run `agent-canary rules --config packages/gate-rules/examples/gates.yaml --out packages/gate-rules/examples/generated` and `agent-canary dashboards`";

describe("committed generated files", () => {
  it("examples/generated matches examples/gates.yaml", async () => {
    const config = await loadGatesConfig(here("../examples/gates.yaml"));
    expect(await staleFiles(here("../examples/generated"), generateRuleFiles(config)), REGENERATE).toEqual([]);
  });

  it("dashboards/ at the repository root matches the generator", async () => {
    expect(await staleFiles(here("../../../dashboards"), generateDashboardFiles(defaultDashboardConfig())), REGENERATE).toEqual([]);
  });
});
