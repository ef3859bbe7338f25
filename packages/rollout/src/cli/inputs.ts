import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { VersionHashSchema, VersionSpecSchema, versionHash } from "@agent-canary/conventions";
import { DeploymentNameSchema, type VersionRef } from "@agent-canary/rollout-state";
import { readYamlFile } from "../yaml-file.js";
import { CliError, usageError } from "./io.js";

/** --baseline / --canary: a 16-hex version hash, or a version spec file (YAML/JSON) whose hash is computed. */
export async function parseVersionRef(flag: string, value: string): Promise<VersionRef> {
  if (VersionHashSchema.safeParse(value).success) return { hash: value };
  if (!existsSync(value)) {
    throw usageError(`${flag} ${value}: neither a 16-hex version hash nor an existing version spec file; e.g. ${flag} 3f2a9c0d1e4b5a6f or ${flag} ./versions/v2.yaml`);
  }
  const spec = await readYamlFile(flag, value, VersionSpecSchema, "a version spec has model, systemPrompt, tools, params");
  // The spec travels in the state so the deployment record can say what changed.
  return { hash: versionHash(spec), ...(spec.label ? { label: spec.label } : {}), spec };
}

/** --deployment: checked here so the error names the flag rather than a zod path. */
export function parseDeployment(flag: string, value: string): string {
  const name = DeploymentNameSchema.safeParse(value);
  if (!name.success) throw usageError(`${flag} ${value}: ${name.error.issues[0]?.message ?? "not a deployment name"}, e.g. ${flag} support-bot`);
  return name.data;
}

/** An http(s) URL, e.g. --prometheus-url; checked before anything is written. */
export function parseHttpUrl(flag: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw usageError(`${flag} ${value}: not a URL; e.g. ${flag} http://127.0.0.1:9090`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw usageError(`${flag} ${value}: use an http:// or https:// URL, e.g. ${flag} http://127.0.0.1:9090`);
  return value;
}

export function parsePercent(flag: string, value: string): number {
  const percent = Number(value);
  if (value.trim() === "" || !Number.isFinite(percent) || percent < 0 || percent > 100) {
    throw usageError(`${flag} ${value}: give a number from 0 to 100, e.g. ${flag} 5`);
  }
  return percent;
}

export function parsePositiveInt(flag: string, value: string, min = 0): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isInteger(n) || n < min) throw usageError(`${flag} ${value}: give a whole number of ${min} or more`);
  return n;
}

/** Non-empty lines of a secrets file (one secret per line lets you rotate: old and new both valid). */
export async function readSecretLines(flag: string, path: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new CliError(`${flag} ${path}: cannot read it (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
  if (lines.length === 0) throw new CliError(`${flag} ${path}: the file is empty; put one secret per line`);
  return lines;
}

export function secretFromEnv(flag: string, env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name]?.trim();
  if (!value) throw new CliError(`${flag} ${name}: environment variable ${name} is not set or empty`);
  return value;
}
