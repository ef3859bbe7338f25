import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { alertmanagerConfig, alertmanagerFragment } from "./alertmanager/config.js";
import type { GatesConfig } from "./config/resolve.js";
import { dashboardJson } from "./dashboards/build.js";
import { grafanaAlertRules } from "./grafana/alert-rules.js";
import { alertingRules, recordingRules, toYaml } from "./prometheus/rules.js";

/** A file to write, relative to an output directory. */
export interface GeneratedFile {
  path: string;
  content: string;
}

export const RULE_FILES = {
  recording: "prometheus/recording-rules.yaml",
  alerts: "prometheus/alert-rules.yaml",
  grafana: "grafana/alert-rules.yaml",
  alertmanager: "alertmanager/alertmanager.yaml",
  alertmanagerFragment: "alertmanager/fragment.yaml",
} as const;

export const DASHBOARD_FILE = "agent-canary-gates.json";

/** Prometheus recording and alert rules, Grafana alert rules and the Alertmanager config of one gates config. */
export function generateRuleFiles(config: GatesConfig): GeneratedFile[] {
  return [
    { path: RULE_FILES.recording, content: toYaml(recordingRules(config), "Prometheus recording rules: per-arm sums, gate statistics and boundaries.") },
    { path: RULE_FILES.alerts, content: toYaml(alertingRules(config), "Prometheus alert rules: one per gate; route them with alertmanager/alertmanager.yaml.") },
    { path: RULE_FILES.grafana, content: toYaml(grafanaAlertRules(config), "Grafana alerting provisioning (apiVersion 1); needs the Prometheus recording rules loaded.") },
    { path: RULE_FILES.alertmanager, content: toYaml(alertmanagerConfig(config), "Alertmanager 0.25 config for an Alertmanager that serves only agent-canary: gate alerts to the receiver by action. To add agent-canary to an existing config, paste fragment.yaml instead.") },
    {
      path: RULE_FILES.alertmanagerFragment,
      content: toYaml(
        alertmanagerFragment(config),
        "Alertmanager 0.25 fragment for an existing config: put `routes` first in your route.routes, `receivers` into receivers and `inhibit_rules` into inhibit_rules.",
      ),
    },
  ];
}

export function generateDashboardFiles(config: GatesConfig): GeneratedFile[] {
  return [{ path: DASHBOARD_FILE, content: dashboardJson(config) }];
}

/** Writes each file through a temporary name and a rename, so a reader never sees half a file. */
export async function writeGeneratedFiles(dir: string, files: readonly GeneratedFile[]): Promise<string[]> {
  const written: string[] = [];
  for (const file of files) {
    const target = join(dir, file.path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(`${target}.tmp`, file.content);
    await rename(`${target}.tmp`, target);
    written.push(target);
  }
  return written;
}

/** Files under `dir` whose content differs from what would be generated now (missing ones included). */
export async function staleFiles(dir: string, files: readonly GeneratedFile[]): Promise<string[]> {
  const stale: string[] = [];
  for (const file of files) {
    const current = await readFile(join(dir, file.path), "utf8").catch(() => undefined);
    if (current !== file.content) stale.push(file.path);
  }
  return stale;
}
