import { spawn } from "node:child_process";

/** Runs a bench script in a fresh Node process and returns the JSON of its last stdout line. */
export function runJsonChild<T>(script: string, args: readonly string[], nodeFlags: readonly string[] = []): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeFlags, script, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      const last = out.trim().split("\n").pop() ?? "";
      if (code !== 0) return reject(new Error(`exited ${code}: ${firstErrorLine(err)}`));
      try {
        resolve(JSON.parse(last) as T);
      } catch {
        reject(new Error(`${script} printed no JSON result: ${last.slice(0, 200)}`));
      }
    });
  });
}

/** The thrown error's message line, without the stack: short enough for a table cell. */
function firstErrorLine(stderr: string): string {
  const line = stderr.split("\n").find((l) => /^\w*Error\b|^Error:/.test(l.trim()));
  return (line ?? stderr.trim().split("\n")[0] ?? "").trim().replaceAll("|", "/").slice(0, 160);
}
