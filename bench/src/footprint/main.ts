/**
 * The agent-side install footprint: what `npm i @agent-canary/instrumentation`
 * puts on disk (bytes, and packages counted from npm's own lockfile), for
 * several revisions of this repository measured the same way in one run. The
 * first revision is the baseline of the ratios.
 *   node src/footprint/main.ts [--ref <git-ref>]...   ("worktree" = the checked-out files, built)
 * Default: --ref 6210615 (the tree issue 12 was filed against) --ref worktree.
 * Each git ref is exported (git archive) into a temporary folder, installed from
 * the pnpm store and built; its instrumentation and the workspace packages
 * it depends on are packed and installed with npm into a fresh project, the
 * workspace ones from their tarballs (npm overrides), the rest from npm's registry.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { fmt, table, writeResult } from "../lib/report.ts";

const REPO = fileURLToPath(new URL("../../..", import.meta.url));
const AGENT_PACKAGE = "@agent-canary/instrumentation";
/** Dependencies issue 12 names as pulled into every agent. */
const WATCHED = ["ioredis", "@grpc/grpc-js", "protobufjs"];

interface Footprint {
  ref: string;
  commit: string;
  packages: number;
  thirdParty: number;
  bytes: number;
  watched: string[];
}

interface Manifest {
  name: string;
  private?: boolean;
  dependencies?: Record<string, string>;
}

function sh(command: string, args: readonly string[], cwd: string): string {
  return execFileSync(command, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 * 2 ** 20 });
}

/** Workspace package folders of a source tree, by package name. */
function workspacePackages(tree: string): Map<string, string> {
  const dirs = ["packages", "examples"].flatMap((parent) =>
    existsSync(join(tree, parent)) ? readdirSync(join(tree, parent)).map((name) => join(tree, parent, name)) : [],
  );
  const byName = new Map<string, string>();
  for (const dir of dirs) {
    const file = join(dir, "package.json");
    if (existsSync(file)) byName.set((JSON.parse(readFileSync(file, "utf8")) as Manifest).name, dir);
  }
  return byName;
}

/** The agent package and the workspace packages it depends on, transitively. */
function agentClosure(byName: Map<string, string>): string[] {
  const seen = new Set<string>();
  const visit = (name: string): void => {
    const dir = byName.get(name);
    if (!dir || seen.has(name)) return;
    seen.add(name);
    const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as Manifest;
    for (const dep of Object.keys(manifest.dependencies ?? {})) visit(dep);
  };
  visit(AGENT_PACKAGE);
  return [...seen];
}

/** A source tree with the agent package built: the checked-out files, or a temporary export of `ref`. */
function checkout(ref: string, scratch: string): { tree: string; commit: string; cleanup: () => void } {
  if (ref === "worktree") {
    sh("pnpm", ["exec", "tsc", "-b", "packages/instrumentation"], REPO);
    return { tree: REPO, commit: `${sh("git", ["rev-parse", "--short", "HEAD"], REPO).trim()} + working tree`, cleanup: () => undefined };
  }
  const tree = join(scratch, `tree-${ref.replace(/[^\w.-]/g, "_")}`);
  // An exported copy, not a git worktree: nothing is registered in the repository.
  execFileSync("bash", ["-c", `mkdir -p "$1" && git archive --format=tar "$2" | tar -x -C "$1"`, "export", tree, ref], { cwd: REPO, stdio: "ignore" });
  const cleanup = () => rmSync(tree, { recursive: true, force: true });
  try {
    sh("pnpm", ["install", "--frozen-lockfile", "--prefer-offline"], tree);
    sh("pnpm", ["exec", "tsc", "-b", "packages/instrumentation"], tree);
  } catch (error) {
    cleanup();
    throw error;
  }
  return { tree, commit: sh("git", ["rev-parse", "--short", ref], REPO).trim(), cleanup };
}

/** Sum of file sizes under a directory (apparent size, as `du -sb`). */
function bytesUnder(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += statSync(join(entry.parentPath, entry.name)).size;
  }
  return total;
}

function measure(ref: string, scratch: string): Footprint {
  const { tree, commit, cleanup } = checkout(ref, scratch);
  try {
    const byName = workspacePackages(tree);
    const packs = join(scratch, `packs-${commit.split(" ")[0]}-${ref.replace(/[^\w.-]/g, "_")}`);
    const tarballs = new Map<string, string>();
    for (const name of agentClosure(byName)) {
      const out = sh("pnpm", ["pack", "--pack-destination", packs], byName.get(name)!);
      const file = out.trim().split("\n").reverse().find((line) => line.endsWith(".tgz"));
      if (!file) throw new Error(`pnpm pack printed no tarball for ${name}`);
      tarballs.set(name, file.trim());
    }
    const project = join(scratch, `project-${tarballs.size}-${Date.now()}`);
    sh("mkdir", ["-p", project], scratch);
    // The agent package is the direct dependency; the workspace packages below it come from their tarballs.
    const overrides = Object.fromEntries([...tarballs].filter(([name]) => name !== AGENT_PACKAGE).map(([name, file]) => [name, `file:${file}`]));
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "footprint", version: "1.0.0", private: true, overrides }));
    sh("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error", `file:${tarballs.get(AGENT_PACKAGE)}`], project);
    const lock = JSON.parse(readFileSync(join(project, "node_modules", ".package-lock.json"), "utf8")) as { packages: Record<string, unknown> };
    const installed = Object.keys(lock.packages).filter((path) => path.startsWith("node_modules/")).map((path) => path.slice(path.lastIndexOf("node_modules/") + 13));
    return {
      ref,
      commit,
      packages: installed.length,
      thirdParty: installed.filter((name) => !name.startsWith("@agent-canary/")).length,
      bytes: bytesUnder(join(project, "node_modules")),
      watched: WATCHED.filter((name) => installed.includes(name)),
    };
  } finally {
    cleanup();
  }
}

function main(): void {
  const { values } = parseArgs({ options: { ref: { type: "string", multiple: true } } });
  const refs = values.ref?.length ? values.ref : ["6210615", "worktree"];
  const scratch = mkdtempSync(join(tmpdir(), "agent-canary-footprint-"));
  try {
    const results = refs.map((ref) => {
      process.stdout.write(`measuring ${ref} ...\n`);
      return measure(ref, scratch);
    });
    const base = results[0]!;
    const rows = results.map((r) => [
      `${r.ref} (${r.commit})`,
      String(r.packages),
      String(r.thirdParty),
      fmt(r.bytes / 1e6, 1),
      `${fmt(r.bytes / base.bytes, 2)}x`,
      `${fmt(r.packages / base.packages, 2)}x`,
      r.watched.length ? r.watched.join(", ") : "none",
    ]);
    writeResult(
      "footprint",
      "Agent-side install footprint",
      `What \`npm i ${AGENT_PACKAGE}\` installs into an empty project (npm ${sh("npm", ["--version"], REPO).trim()}; optional peers such as \`openai\` not installed), ` +
        `per revision of this repository; ratios against the first row, measured in the same run. ` +
        `Packages are counted from npm's \`node_modules/.package-lock.json\` (every installed copy, the agent-canary packages included); ` +
        `size is the apparent size of \`node_modules\`.\n\n` +
        table(["revision", "packages", "third-party", "MB", "size vs first", "packages vs first", `of ${WATCHED.join(", ")}`], rows),
    );
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

main();
