import { readFileSync } from "node:fs";
import { OptionsError } from "../options-error.js";

/**
 * The AGENT_CANARY_* variables read by `--import/--require
 * @agent-canary/instrumentation/register`. A variable overrides the same
 * setting in the AGENT_CANARY_CONFIG file. register() called in code also
 * honours AGENT_CANARY_DISABLED, and the metrics port and host when the code
 * does not set them.
 */
export const ENV_VARS = {
  AGENT_CANARY_CONFIG: "path to a JSON file of `register()` options (versions, guards, prices, ...); the variables below override its settings",
  AGENT_CANARY_DEPLOYMENT: "deployment name, e.g. `support-agent`",
  AGENT_CANARY_BASELINE: "baseline version as JSON, or `@path/to/version.json`",
  AGENT_CANARY_CANARY: "canary version as JSON, or `@path/to/version.json`",
  AGENT_CANARY_STORE: "rollout state store: `file:<dir>`, a directory, or `redis://host:port`; unset: no rollout state, every session runs the baseline",
  AGENT_CANARY_METRICS_EXPORTER: "`prometheus`, `otlp` or `none`; default: `OTEL_METRICS_EXPORTER` when it names one of these, else `prometheus`",
  AGENT_CANARY_METRICS_PORT: "Prometheus scrape port, default 9464 (0 picks one); `register()` in code reads it too when `metrics.port` is not set",
  AGENT_CANARY_METRICS_HOST: "Prometheus scrape interface, default `0.0.0.0`; `register()` in code reads it too when `metrics.host` is not set",
  AGENT_CANARY_TRACES_EXPORTER: "`otlp`, `none` or `env` (follow `OTEL_TRACES_EXPORTER`: `otlp`, `console`, `none`); default `env` when `OTEL_TRACES_EXPORTER` is set, else `otlp`",
  AGENT_CANARY_GUARD_MODE: "`enforce` (default) or `record`",
  AGENT_CANARY_BUDGET_USD: "guard: USD a session may spend; unset: no limit (the loop guard is on regardless)",
  AGENT_CANARY_MAX_TURNS: "guard: LLM calls a session may make; unset: no limit",
  AGENT_CANARY_DISABLED: "set to `1` to turn agent-canary off (preload and `register()`): sessions run the baseline with no routing, guards or telemetry",
} as const;

type EnvVar = keyof typeof ENV_VARS;
type Env = Record<string, string | undefined>;
type Mutable = Record<string, unknown>;

/** register() options read from the environment, with where each came from. */
export interface EnvOptions {
  options: Mutable;
  /** What the AGENT_CANARY_CONFIG file held, to tell its settings from the variables'. */
  fromFile: Mutable;
  /** The variable that set each option path ("guards.budgetUsd" -> AGENT_CANARY_BUDGET_USD). */
  sources: Map<string, EnvVar>;
  /** Variables that could not be read at all (bad JSON, unreadable file, not a number): already named. */
  issues: { path: string; message: string }[];
}

/** The variables holding a version as JSON, and where it goes. */
const JSON_VARIABLES = [
  ["AGENT_CANARY_BASELINE", "versions.baseline"],
  ["AGENT_CANARY_CANARY", "versions.canary"],
] as const satisfies readonly (readonly [EnvVar, string])[];

/** How each scalar variable maps to an option path, and whether it is a number. */
const SCALARS: [EnvVar, string, "string" | "number"][] = [
  ["AGENT_CANARY_DEPLOYMENT", "deployment", "string"],
  ["AGENT_CANARY_STORE", "store", "string"],
  ["AGENT_CANARY_METRICS_EXPORTER", "metrics.exporter", "string"],
  ["AGENT_CANARY_METRICS_PORT", "metrics.port", "number"],
  ["AGENT_CANARY_METRICS_HOST", "metrics.host", "string"],
  ["AGENT_CANARY_TRACES_EXPORTER", "traces.exporter", "string"],
  ["AGENT_CANARY_GUARD_MODE", "guards.mode", "string"],
  ["AGENT_CANARY_BUDGET_USD", "guards.budgetUsd", "number"],
  ["AGENT_CANARY_MAX_TURNS", "guards.maxTurns", "number"],
];

function setPath(target: Mutable, path: string, value: unknown): void {
  const keys = path.split(".");
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const existing = node[key];
    node = node[key] = typeof existing === "object" && existing !== null ? (existing as Mutable) : {};
  }
  node[keys.at(-1)!] = value;
}

/** JSON text, or @path/to/file.json; undefined (and an issue) when it cannot be read. */
function jsonOrFile(variable: EnvVar, value: string, issues: EnvOptions["issues"]): unknown {
  let text = value;
  const file = value.startsWith("@") ? value.slice(1) : undefined;
  if (file !== undefined) {
    try {
      text = readFileSync(file, "utf8");
    } catch (error) {
      issues.push({ path: variable, message: `cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? "error"}); fix the path` });
      return undefined;
    }
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    issues.push({ path: variable, message: `${file ?? "the value"} is not valid JSON (${(error as Error).message}); give a JSON object or @path/to/file.json` });
    return undefined;
  }
}

/** Register options from AGENT_CANARY_CONFIG and the AGENT_CANARY_* variables, for parseEnvOptions to validate. */
export function optionsFromEnv(env: Env): EnvOptions {
  const result: EnvOptions = { options: {}, fromFile: {}, sources: new Map(), issues: [] };
  if (env.AGENT_CANARY_CONFIG) {
    const fromFile = jsonOrFile("AGENT_CANARY_CONFIG", `@${env.AGENT_CANARY_CONFIG}`, result.issues);
    if (typeof fromFile === "object" && fromFile !== null && !Array.isArray(fromFile)) {
      result.fromFile = structuredClone(fromFile as Mutable);
      Object.assign(result.options, fromFile);
    }
    else if (fromFile !== undefined) result.issues.push({ path: "AGENT_CANARY_CONFIG", message: `${env.AGENT_CANARY_CONFIG} must hold a JSON object of register() options` });
  }
  for (const [variable, path] of JSON_VARIABLES) {
    const raw = env[variable];
    if (!raw) continue;
    const value = jsonOrFile(variable, raw, result.issues);
    if (value === undefined) continue;
    setPath(result.options, path, value);
    result.sources.set(path, variable);
  }
  for (const [variable, path, type] of SCALARS) {
    const raw = env[variable];
    if (!raw) continue;
    const n = Number(raw);
    if (type === "number" && (raw.trim() === "" || !Number.isFinite(n))) {
      result.issues.push({ path: variable, message: `"${raw}" is not a number` });
      continue;
    }
    setPath(result.options, path, type === "number" ? n : raw);
    result.sources.set(path, variable);
  }
  return result;
}

function hasPath(target: Mutable, path: string): boolean {
  let node: unknown = target;
  for (const key of path.split(".").filter(Boolean)) {
    if (typeof node !== "object" || node === null || !(key in node)) return false;
    node = (node as Mutable)[key];
  }
  return true;
}

/**
 * Where an option path's value came from, for the error line: the variable
 * that set it (or holds it, inside a JSON value), the config file, or the
 * variable that would set it when nothing did.
 */
function origin(path: string, found: EnvOptions, env: Env): string {
  const keys = path.split(".");
  for (let n = keys.length; n > 0; n--) {
    const variable = found.sources.get(keys.slice(0, n).join("."));
    if (variable) return `${variable} (${path})`;
  }
  const file = env.AGENT_CANARY_CONFIG;
  if (file && path && hasPath(found.fromFile, path)) return `AGENT_CANARY_CONFIG ${file}: ${path}`;
  const all: (readonly [EnvVar, string])[] = [...JSON_VARIABLES, ...SCALARS.map(([v, p]) => [v, p] as const)];
  const would = all.find(([, p]) => p === path || p.startsWith(`${path}.`) || path.startsWith(`${p}.`));
  const orFile = file ? ` or in ${file}` : "";
  return would ? `${would[0]} (${path}; not set${orFile})` : `${path || "(root)"} (${file ? `in ${file}` : "set AGENT_CANARY_CONFIG to a JSON file of register() options"})`;
}

/**
 * Validates options read by optionsFromEnv with `parse` (a zod safeParse),
 * throwing one OptionsError that lists every bad variable and field together.
 */
export function parseEnvOptions<T>(
  env: Env,
  parse: (options: unknown) => { success: true; data: T } | { success: false; error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] } },
): T {
  const found = optionsFromEnv(env);
  const parsed = parse(found.options);
  const all = [...found.issues];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) all.push({ path: origin(issue.path.map(String).join("."), found, env), message: issue.message });
  }
  if (all.length > 0 || !parsed.success) throw new OptionsError("agent-canary settings from the AGENT_CANARY_* variables", all);
  return parsed.data;
}

/** The metrics port and host register() takes from the environment for the fields its options leave unset. */
export function metricsFromEnv(env: Env, unset: { port: boolean; host: boolean }): { port?: number; host?: string } {
  const { options, issues } = optionsFromEnv({
    AGENT_CANARY_METRICS_PORT: unset.port ? env.AGENT_CANARY_METRICS_PORT : undefined,
    AGENT_CANARY_METRICS_HOST: unset.host ? env.AGENT_CANARY_METRICS_HOST : undefined,
  });
  if (issues.length > 0) throw new OptionsError("the AGENT_CANARY_METRICS_* variables", issues);
  return (options.metrics ?? {}) as { port?: number; host?: string };
}
