import { execFile } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

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
