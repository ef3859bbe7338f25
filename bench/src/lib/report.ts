import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const RESULTS_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "results");

/** One line naming the machine, so a figure is never read without its context. */
export function machineLine(): string {
  const cpu = cpus()[0]?.model ?? "unknown CPU";
  const gib = (totalmem() / 2 ** 30).toFixed(0);
  const load = loadavg().map((l) => l.toFixed(1)).join(" / ");
  return `${cpus().length} x ${cpu.trim()}, ${gib} GiB, Node ${process.version}, ${process.platform}; shared with other builds and tests while measured (load average ${load} when the file was written)`;
}

export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

/** Writes results/<name>.md with a standard heading block, and echoes it to stdout. */
export function writeResult(name: string, title: string, body: string): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const text = `# ${title}\n\nMeasured ${new Date().toISOString()} on ${machineLine()}.\n\n${body.trim()}\n`;
  const file = join(RESULTS_DIR, `${name}.md`);
  writeFileSync(file, text);
  process.stdout.write(`${text}\n(written to ${file})\n`);
  return file;
}

export function fmt(value: number, digits = 1): string {
  if (!Number.isFinite(value)) return String(value);
  return value.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

export function pct(rate: number, digits = 1): string {
  return `${fmt(rate * 100, digits)}%`;
}
