import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
// @ts-expect-error -- a plain .mjs script (run by `node`), without type declarations
import { LICENSE_TEXT, publishedPackageDirs, readManifest, ROOT, withSharedMetadata } from "../../scripts/package-metadata.mjs";

interface Manifest {
  name: string;
  version: string;
  description?: string;
  private?: boolean;
  keywords?: string[];
  files?: string[];
  bin?: Record<string, string>;
  exports?: Record<string, string | Record<string, string>>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

const published = publishedPackageDirs() as string[];
const manifest = (dir: string) => readManifest(dir) as Manifest;
const workspaceDirs = ["packages", "examples"].flatMap((parent) =>
  ["cli", "conventions", "demo", "gate-rules", "instrumentation", "rollout", "rollout-state", "shadow", "testkit", "support-agent"]
    .map((name) => `${parent}/${name}`)
    .filter((dir) => existsSync(join(ROOT, dir, "package.json"))),
);
const byName = new Map(workspaceDirs.map((dir) => [manifest(dir).name, dir]));

/** The workspace packages `name` pulls in when installed (dependencies and required peers), itself included. */
function workspaceClosure(name: string, seen = new Set<string>()): Set<string> {
  const dir = byName.get(name);
  if (!dir || seen.has(name)) return seen;
  seen.add(name);
  const m = manifest(dir);
  const requiredPeers = Object.keys(m.peerDependencies ?? {}).filter((peer) => !m.peerDependenciesMeta?.[peer]?.optional);
  for (const dep of [...Object.keys(m.dependencies ?? {}), ...requiredPeers]) workspaceClosure(dep, seen);
  return seen;
}

describe("published packages", () => {
  it("are the user-facing packages, and nothing private", () => {
    expect([...published].sort()).toEqual([
      "examples/support-agent",
      "packages/cli",
      "packages/conventions",
      "packages/demo",
      "packages/gate-rules",
      "packages/instrumentation",
      "packages/rollout",
      "packages/rollout-state",
      "packages/shadow",
      "packages/testkit",
    ]);
  });

  it("ship the root Apache-2.0 LICENSE", () => {
    expect(LICENSE_TEXT()).toMatch(/^\s*Apache License\s+Version 2\.0, January 2004/);
    for (const dir of published) expect(readFileSync(join(ROOT, dir, "LICENSE"), "utf8"), `${dir}/LICENSE (run node scripts/package-metadata.mjs)`).toBe(LICENSE_TEXT());
  });

  it.each(published)("%s has full metadata, a README, and files in the tarball for each entry point", (dir) => {
    const m = manifest(dir);
    expect(m, `${dir}/package.json is stale: run node scripts/package-metadata.mjs`).toEqual(withSharedMetadata(dir, m));
    expect(m.private).toBeUndefined();
    expect(m.description?.length).toBeGreaterThan(20);
    expect(m.keywords?.length).toBeGreaterThan(3);
    expect(m.files).toContain("dist");
    expect(existsSync(join(ROOT, dir, "README.md")), `${dir}/README.md`).toBe(true);
    // Entry points users import are built files that `files` ships (dist/), never the TS sources.
    for (const [subpath, target] of Object.entries(m.exports ?? {})) {
      const targets = typeof target === "string" ? { default: target } : target;
      for (const [condition, file] of Object.entries(targets)) {
        if (condition === "@agent-canary/source" || subpath === "./package.json") continue;
        expect(file, `${dir} exports ${subpath} ${condition}`).toMatch(/^\.\/dist\//);
      }
    }
    for (const [bin, file] of Object.entries(m.bin ?? {})) {
      expect(file, `${dir} bin ${bin}`).toMatch(/^\.\/dist\/.*\.js$/);
      const source = join(ROOT, dir, file.replace(/^\.\/dist\//, "src/").replace(/\.js$/, ".ts"));
      expect(readFileSync(source, "utf8").startsWith("#!/usr/bin/env node\n"), `${source} starts with a node shebang`).toBe(true);
    }
  });

  it("depend only on other published packages", () => {
    const publishedNames = new Set(published.map((dir) => manifest(dir).name));
    for (const dir of published) {
      const m = manifest(dir);
      for (const dep of Object.keys({ ...m.dependencies, ...m.peerDependencies })) {
        if (byName.has(dep)) expect(publishedNames.has(dep), `${m.name} depends on ${dep}`).toBe(true);
      }
    }
  });

  it("keep the CLI free of the demo's example agent and server launcher, and rule generation free of Redis", () => {
    const cli = workspaceClosure("@agent-canary/cli");
    expect(cli.has("@agent-canary/demo")).toBe(false);
    expect(cli.has("@agent-canary/example-support-agent")).toBe(false);
    expect(cli.has("@agent-canary/testkit")).toBe(false);
    const gateRules = [...workspaceClosure("@agent-canary/gate-rules")];
    expect(gateRules).not.toContain("@agent-canary/rollout-state");
    for (const name of gateRules) expect(Object.keys(manifest(byName.get(name)!).dependencies ?? {}), name).not.toContain("ioredis");
  });
});
