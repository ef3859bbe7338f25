import { execFile } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { alertingRules, PRESETS, recordingRules, toYaml, type GatesConfig } from "../../src/index.js";

const exec = promisify(execFile);

export interface ToolResult {
  code: number;
  output: string;
}

/** Runs a Prometheus/Alertmanager command-line tool and returns its exit code and output (never throws on exit code). */
export async function runTool(command: string, args: string[]): Promise<ToolResult> {
  try {
    const { stdout, stderr } = await exec(command, args, { maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : 1, output: `${e.stdout ?? ""}${e.stderr ?? ""}` };
  }
}

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `gate-rules-${prefix}-`));
}

/**
 * A config with every recommended gate and test-sized fields (`fields` is the
 * inside of each gate's flow mapping after kind and name, e.g. "minSamples: 30"),
 * and `top` extra top-level lines, so scenarios of a few hours can decide.
 */
export function testGatesYaml(deployments: readonly string[], fields: string, top = ""): string {
  const gates = PRESETS.recommended.map((g) => `  - {kind: ${g.kind}, name: ${g.name}, ${fields}}`).join("\n");
  return `deployments: [${deployments.join(", ")}]\nevaluationInterval: 1m\nlookback: 1h\n${top}gates:\n${gates}\n`;
}

/** A temporary directory holding the config's recording.yaml and alerts.yaml, as promtool test files name them. */
export async function ruleFilesDir(prefix: string, config: GatesConfig): Promise<string> {
  const dir = await tempDir(prefix);
  await writeFile(join(dir, "recording.yaml"), toYaml(recordingRules(config), "test"));
  await writeFile(join(dir, "alerts.yaml"), toYaml(alertingRules(config), "test"));
  return dir;
}

/** promtool's group_eval_order for a config: inputs, the gates, then the alerts. */
export function groupOrder(config: GatesConfig): string[] {
  return [...recordingRules(config).groups.map((g) => g.name), ...alertingRules(config).groups.map((g) => g.name)];
}
