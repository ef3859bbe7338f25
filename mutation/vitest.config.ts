import { readFileSync, readdirSync, existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { defineConfig, type Alias } from "vitest/config";
import base from "../vitest.config.ts";
import { targetFor } from "./targets.mjs";

// The vitest config Stryker runs in its sandbox (a copy of the repo in .stryker-tmp/).
// The sandbox shares node_modules with the repo by symlink, so `@agent-canary/x` would
// resolve through it to the repo's own sources and never see a mutant. Each workspace
// export is therefore aliased to its `@agent-canary/source` file inside the directory
// this config sits in: the sandbox when Stryker runs it, the repo when run by hand.
const ROOT = resolve(import.meta.dirname, "..");
const SOURCE_CONDITION = "@agent-canary/source";

interface PackageJson {
  name: string;
  exports?: Record<string, string | Record<string, string>>;
}

function workspaceAliases(): Alias[] {
  const aliases: Alias[] = [];
  for (const group of ["packages", "examples"]) {
    for (const dir of readdirSync(join(ROOT, group))) {
      const manifest = join(ROOT, group, dir, "package.json");
      if (!existsSync(manifest)) continue;
      const pkg = JSON.parse(readFileSync(manifest, "utf8")) as PackageJson;
      for (const [subpath, conditions] of Object.entries(pkg.exports ?? {})) {
        const source = typeof conditions === "object" ? conditions[SOURCE_CONDITION] : undefined;
        if (!source) continue;
        const specifier = subpath === "." ? pkg.name : `${pkg.name}/${subpath.slice(2)}`;
        aliases.push({ find: new RegExp(`^${specifier.replace(/[/.-]/g, "\\$&")}$`), replacement: join(ROOT, group, dir, source) });
      }
    }
  }
  return aliases;
}

const packageName = process.env.AGENT_CANARY_MUTATION_PACKAGE;
if (!packageName) throw new Error("AGENT_CANARY_MUTATION_PACKAGE is not set: run scripts/mutation.sh <package>");
const target = targetFor(packageName);

// Spread rather than mergeConfig: mergeConfig concatenates arrays, and the include
// list must replace the base one.
export default defineConfig({
  ...base,
  root: ROOT,
  resolve: { ...base.resolve, alias: workspaceAliases() },
  test: {
    ...base.test,
    include: target.tests,
    exclude: ["**/node_modules/**", ...target.skipTests],
  },
});
