// The metadata every published agent-canary package shares (repository,
// homepage, bugs, author, license, engines, publishConfig) and the LICENSE copy
// npm ships from each package's folder. `node scripts/package-metadata.mjs`
// writes them; test/packaging/metadata.test.ts fails while a package is stale.
// A package is published unless its package.json says "private": true.
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));
const REPOSITORY = "https://github.com/agent-canary/agent-canary";
const PACKAGE_PARENTS = ["packages", "examples"];

/** Workspace folders (relative to the root) whose package is published. */
export function publishedPackageDirs() {
  return PACKAGE_PARENTS.flatMap((parent) =>
    readdirSync(join(ROOT, parent), { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && existsSync(join(ROOT, parent, entry.name, "package.json")))
      .map((entry) => `${parent}/${entry.name}`),
  ).filter((dir) => readManifest(dir).private !== true);
}

export function readManifest(dir) {
  return JSON.parse(readFileSync(join(ROOT, dir, "package.json"), "utf8"));
}

/** The shared fields a published package must carry, for the package in `dir`. */
export function sharedMetadata(dir) {
  return {
    homepage: `${REPOSITORY}/tree/main/${dir}#readme`,
    bugs: { url: `${REPOSITORY}/issues` },
    repository: { type: "git", url: `git+${REPOSITORY}.git`, directory: dir },
    license: "Apache-2.0",
    author: "agent-canary maintainers",
    engines: { node: ">=22.15" },
    publishConfig: { access: "public" },
  };
}

/**
 * The manifest with the shared fields set. Keys already present keep their
 * place (other branches edit the dependency blocks); new ones go after
 * "description", away from them.
 */
export function withSharedMetadata(dir, manifest) {
  const shared = sharedMetadata(dir);
  const result = {};
  for (const [key, value] of Object.entries(manifest)) {
    result[key] = key in shared ? shared[key] : value;
    if (key === "description") for (const [k, v] of Object.entries(shared)) if (!(k in manifest)) result[k] = v;
  }
  return result;
}

export const LICENSE_TEXT = () => readFileSync(join(ROOT, "LICENSE"), "utf8");

function serialize(manifest) {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/** Writes the shared fields and the LICENSE copy into every published package; returns the files changed. */
export function writeMetadata() {
  const changed = [];
  const writeIfDifferent = (file, text) => {
    if (existsSync(file) && readFileSync(file, "utf8") === text) return;
    writeFileSync(file, text);
    changed.push(file);
  };
  for (const dir of publishedPackageDirs()) {
    writeIfDifferent(join(ROOT, dir, "package.json"), serialize(withSharedMetadata(dir, readManifest(dir))));
    writeIfDifferent(join(ROOT, dir, "LICENSE"), LICENSE_TEXT());
  }
  return changed;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const changed = writeMetadata();
  console.log(changed.length ? `updated:\n  ${changed.join("\n  ")}` : "every published package is up to date");
}
