import { execFile } from "node:child_process";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { parseAllDocuments } from "yaml";
import type { Resource } from "./schemas.js";

const exec = promisify(execFile);

/** Every YAML document of a text, skipping empty ones. */
export function parseResources(text: string): Resource[] {
  return parseAllDocuments(text)
    .map((doc) => doc.toJS() as Resource | null)
    .filter((r): r is Resource => r !== null);
}

export async function readResources(file: string): Promise<Resource[]> {
  return parseResources(await readFile(file, "utf8"));
}

/** True when `kubectl kustomize` can render here (agent-canary itself never needs kubectl). */
export async function kubectlAvailable(): Promise<boolean> {
  try {
    await exec("kubectl", ["version", "--client"]);
    return true;
  } catch {
    return false;
  }
}

/**
 * Renders deploy/kubernetes (or one of its folders) as `kubectl apply -k` would, on a copy
 * with a freshly made receiver-token, the file a user creates before applying.
 */
export async function kustomize(deployDir: string, sub = "."): Promise<Resource[]> {
  const copy = await mkdtemp(join(tmpdir(), "agent-canary-kustomize-"));
  try {
    await cp(deployDir, copy, { recursive: true });
    await writeFile(join(copy, "receiver-token"), "0123456789abcdef0123456789abcdef\n");
    const { stdout } = await exec("kubectl", ["kustomize", join(copy, sub)], { maxBuffer: 16 * 1024 * 1024 });
    return parseResources(stdout);
  } finally {
    await rm(copy, { recursive: true, force: true });
  }
}
