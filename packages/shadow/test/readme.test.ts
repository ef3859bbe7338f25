import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const packageDir = join(dirname(fileURLToPath(import.meta.url)), "..");

/** The first ```js block after `heading` and the ```text block that follows it. */
function example(readme: string, heading: string): { code: string; output: string } {
  const section = readme.slice(readme.indexOf(heading));
  const code = /```js\n([\s\S]*?)```/.exec(section)?.[1];
  const output = /```text\n([\s\S]*?)```/.exec(section)?.[1];
  if (!code || !output) throw new Error(`README has no js + text example under "${heading}"`);
  return { code, output };
}

/** The text under `heading`, up to the next heading of the same level. */
function sectionOf(readme: string, heading: string): string {
  const start = readme.indexOf(heading);
  const next = readme.indexOf("\n## ", start + heading.length);
  return readme.slice(start, next === -1 ? undefined : next);
}

describe("README file paths", () => {
  it("never sends live and replayed comparisons to the same file", async () => {
    const readme = await readFile(join(packageDir, "README.md"), "utf8");
    const live = [...sectionOf(readme, "## Shadowing live traffic").matchAll(/comparisonsFile: "([^"]+)"/g)].map((m) => m[1]);
    const replay = [...sectionOf(readme, "## Replay").matchAll(/(?:comparisonsFile: "|--out )([^"\s]+)/g)].map((m) => m[1]);
    expect(live).toHaveLength(1);
    expect(replay.length).toBeGreaterThanOrEqual(2);
    for (const path of replay) expect(live).not.toContain(path);
  });
});

describe("README quick start", () => {
  it("runs as written, against the built package, and prints what the README says", async () => {
    const { code, output } = example(await readFile(join(packageDir, "README.md"), "utf8"), "## Quick start");
    const dir = await mkdtemp(join(tmpdir(), "shadow-readme-"));
    await mkdir(join(dir, "node_modules", "@agent-canary"), { recursive: true });
    await symlink(packageDir, join(dir, "node_modules", "@agent-canary", "shadow"), "dir");
    await writeFile(join(dir, "quick-start.mjs"), code);

    const { stdout } = await promisify(execFile)(process.execPath, ["quick-start.mjs"], { cwd: dir });
    expect(stdout).toBe(output);
    expect((await readFile(join(dir, "shadow-comparisons.jsonl"), "utf8")).trim().split("\n")).toHaveLength(1);
  });
});
