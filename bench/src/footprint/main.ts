/**
 * What an agent installs: packs @agent-canary/instrumentation and the
 * workspace packages it depends on (pnpm pack turns workspace:* into
 * versions), installs the tarballs with npm into a fresh project outside the
 * workspace, and measures the installed size and the number of packages.
 * Then it imports the package and registers a session there, so a figure is
 * never of an install that does not work.
 *   node src/footprint/main.ts --label after [--with ioredis]
 * Rows accumulate in results/footprint.json under their label (re-running a
 * label replaces its row); results/footprint.md is written from all rows.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { RESULTS_DIR, table, writeResult } from "../lib/report.ts";

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
/** Packages an agent never needs, whose presence says the install is heavier than it should be. */
const WATCHED = ["ioredis", "@grpc/grpc-js", "protobufjs", "@opentelemetry/sdk-node", "@opentelemetry/exporter-zipkin", "@opentelemetry/sdk-logs"];

interface Row {
  label: string;
  commit: string;
  packages: number;
  bytes: number;
  watched: string[];
  extra: string[];
}

function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** The workspace packages instrumentation depends on, itself included, as directories. */
function workspaceClosure(): string[] {
  const seen = new Set<string>();
  const visit = (name: string): void => {
    const dir = join(ROOT, "packages", name.replace("@agent-canary/", ""));
    if (seen.has(dir)) return;
    seen.add(dir);
    const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { dependencies?: Record<string, string> };
    for (const [dep, range] of Object.entries(pkg.dependencies ?? {})) if (range.startsWith("workspace:")) visit(dep);
  };
  visit("@agent-canary/instrumentation");
  return [...seen];
}

function sizeOf(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.size;
  return readdirSync(path).reduce((sum, entry) => sum + sizeOf(join(path, entry)), 0);
}

/** Every installed package: a directory under some node_modules holding a package.json. */
function installedPackages(modules: string): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir)) {
      if (entry.startsWith(".")) continue;
      const path = join(dir, entry);
      if (entry.startsWith("@")) {
        for (const scoped of readdirSync(path)) visitPackage(join(path, scoped), `${entry}/${scoped}`);
      } else visitPackage(path, entry);
    }
  };
  const visitPackage = (path: string, name: string): void => {
    if (!existsSync(join(path, "package.json"))) return;
    found.push(name);
    walk(join(path, "node_modules"));
  };
  walk(modules);
  return found;
}

function measure(label: string, extra: string[]): Row {
  const work = mkdtempSync(join(tmpdir(), "agent-canary-footprint-"));
  try {
    const tarballs = workspaceClosure().map((dir) => {
      const out = run("pnpm", ["pack", "--pack-destination", work], dir).trim().split("\n").at(-1)!;
      return out.startsWith("/") ? out : join(work, out);
    });
    const app = join(work, "app");
    run("mkdir", ["-p", app], work);
    writeFileSync(join(app, "package.json"), JSON.stringify({ name: "footprint-app", private: true, type: "module" }));
    run("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", ...tarballs, ...extra], app);
    // The install must work: import it and run one session on the baseline.
    const probe = [
      'import { AgentCanary } from "@agent-canary/instrumentation";',
      'const a = new AgentCanary({ deployment: "footprint", versions: { baseline: { model: "gpt-4o-mini" } } });',
      'const group = await a.session({ id: "s-1" }, (s) => s.group);',
      'if (group !== "baseline") throw new Error(group);',
      'await a.close();',
    ].join("\n");
    writeFileSync(join(app, "probe.mjs"), probe);
    run(process.execPath, ["probe.mjs"], app);
    const modules = join(app, "node_modules");
    const names = installedPackages(modules);
    const commit = run("git", ["rev-parse", "--short", "HEAD"], ROOT).trim();
    return { label, commit, packages: names.length, bytes: sizeOf(modules), watched: WATCHED.filter((w) => names.includes(w)), extra };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function main(): void {
  const { values } = parseArgs({ options: { label: { type: "string", default: "current" }, with: { type: "string", multiple: true, default: [] } } });
  const row = measure(values.label!, values.with!);
  const file = join(RESULTS_DIR, "footprint.json");
  const rows = (existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Row[]) : []).filter((r) => r.label !== row.label);
  rows.push(row);
  writeFileSync(file, `${JSON.stringify(rows, null, 2)}\n`);
  const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
  const first = rows[0]!;
  const body = [
    "`npm install` of the packed `@agent-canary/instrumentation` and the workspace packages it depends on, into a",
    "fresh npm project outside the workspace; then the probe imports it and runs one session. Size is the apparent",
    "size of every file under `node_modules`; packages are the directories holding a `package.json`.",
    "",
    table(
      ["install", "commit", "packages", "size (MiB)", `vs ${first.label}`, "heavy packages present"],
      rows.map((r) => [
        r.label + (r.extra.length ? ` (+ ${r.extra.join(", ")})` : ""),
        r.commit,
        String(r.packages),
        mib(r.bytes),
        `${(r.bytes / first.bytes).toFixed(2)}x size, ${r.packages - first.packages >= 0 ? "+" : ""}${r.packages - first.packages} packages`,
        r.watched.join(", ") || "none",
      ]),
    ),
  ].join("\n");
  writeResult("footprint", "Agent-side install footprint", body);
}

main();
