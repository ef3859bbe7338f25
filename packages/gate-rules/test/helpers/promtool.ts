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

export async function writeAll(dir: string, files: { path: string; content: string }[]): Promise<string[]> {
  const paths: string[] = [];
  for (const f of files) {
    const path = join(dir, f.path.replace(/\//g, "_"));
    await writeFile(path, f.content);
    paths.push(path);
  }
  return paths;
}

/**
 * A config with every recommended gate, one deployment list and test-sized
 * fields (`fields` is the inside of each gate's flow mapping after kind and
 * name, e.g. "window: 30m"), so scenarios of an hour or two can decide.
 */
export function testGatesYaml(deployments: readonly string[], fields: string): string {
  const gates = PRESETS.recommended.map((g) => `  - {kind: ${g.kind}, name: ${g.name}, ${fields}}`).join("\n");
  return `deployments: [${deployments.join(", ")}]\nevaluationInterval: 1m\nhorizon: 6h\ngates:\n${gates}\n`;
}

/** A temporary directory holding the config's recording.yaml and alerts.yaml, as promtool test files name them. */
export async function ruleFilesDir(prefix: string, config: GatesConfig): Promise<string> {
  const dir = await tempDir(prefix);
  await writeFile(join(dir, "recording.yaml"), toYaml(recordingRules(config), "test"));
  await writeFile(join(dir, "alerts.yaml"), toYaml(alertingRules(config), "test"));
  return dir;
}
