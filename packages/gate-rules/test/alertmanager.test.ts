import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { alertmanagerConfig, generateRuleFiles, parseGatesConfig, RULE_FILES, toYaml } from "../src/index.js";
import { runTool, tempDir } from "./helpers/promtool.js";

describe("Alertmanager config", () => {
  it("passes amtool check-config and routes both actions to the receiver hook with bearer credentials", async () => {
    const config = parseGatesConfig("deployments: [a]\nreceiver:\n  url: http://receiver.internal:9000/base/\n  credentialsFile: /run/secrets/token\n");
    const dir = await tempDir("amtool");
    try {
      const file = join(dir, "alertmanager.yaml");
      await writeFile(file, toYaml(alertmanagerConfig(config), "test"));
      const result = await runTool("amtool", ["check-config", file]);
      expect(result.output).toContain("SUCCESS");
      expect(result.code).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const am = alertmanagerConfig(config) as {
      route: { routes: { matchers: string[]; receiver: string; group_wait: string }[] };
      receivers: { name: string; webhook_configs?: { url: string; send_resolved: boolean; http_config: { authorization: { type: string; credentials_file: string } } }[] }[];
    };
    const rollback = am.route.routes.find((r) => r.matchers.includes('action="rollback"'));
    expect(rollback?.group_wait).toBe("0s");
    const hook = am.receivers.find((r) => r.name === rollback?.receiver)?.webhook_configs?.[0];
    expect(hook).toMatchObject({ url: "http://receiver.internal:9000/hooks/alertmanager", send_resolved: true });
    expect(hook?.http_config.authorization).toEqual({ type: "Bearer", credentials_file: "/run/secrets/token" });
    expect(am.route.routes.some((r) => r.matchers.includes('action="hold"'))).toBe(true);
  });

  it("the generated file is the same config as YAML", () => {
    const config = parseGatesConfig("deployments: [a]\n");
    const file = generateRuleFiles(config).find((f) => f.path === RULE_FILES.alertmanager);
    expect(parse(file?.content ?? "")).toEqual(alertmanagerConfig(config));
  });
});
