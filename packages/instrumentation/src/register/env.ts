import { readFileSync } from "node:fs";
import { OptionsError } from "../options-error.js";

/**
 * The AGENT_CANARY_* variables read by `--import/--require
 * @agent-canary/instrumentation/register`. A variable overrides the same
 * setting in the AGENT_CANARY_CONFIG file.
 */
export const ENV_VARS = {
  AGENT_CANARY_CONFIG: "path to a JSON file holding register() options (versions, guards, prices, ...)",
  AGENT_CANARY_DEPLOYMENT: "deployment name, e.g. support-agent",
  AGENT_CANARY_BASELINE: "baseline version as JSON, or @path/to/version.json",
  AGENT_CANARY_CANARY: "canary version as JSON, or @path/to/version.json",
  AGENT_CANARY_STORE: "rollout state store: a directory (file store) or redis://host:port",
  AGENT_CANARY_METRICS_EXPORTER: "prometheus (default) | otlp | none",
  AGENT_CANARY_METRICS_PORT: "Prometheus scrape port (default 9464; 0 picks one)",
  AGENT_CANARY_METRICS_HOST: "Prometheus scrape interface (default 0.0.0.0)",
  AGENT_CANARY_TRACES_EXPORTER: "otlp (default) | none | env (follow OTEL_TRACES_EXPORTER)",
  AGENT_CANARY_GUARD_MODE: "enforce (default) | record",
  AGENT_CANARY_BUDGET_USD: "USD budget per session",
  AGENT_CANARY_MAX_TURNS: "LLM calls allowed per session",
  AGENT_CANARY_DISABLED: "set to 1 to load without registering anything",
} as const;

type Env = Record<string, string | undefined>;

function readJson(what: string, text: string, file?: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new OptionsError(file ?? what, [
      { path: what, message: `not valid JSON (${(error as Error).message}); give a JSON object or @path/to/file.json` },
    ]);
  }
}

function jsonOrFile(name: string, value: string): unknown {
  if (!value.startsWith("@")) return readJson(name, value);
  const path = value.slice(1);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new OptionsError(name, [{ path, message: `cannot read it (${(error as NodeJS.ErrnoException).code ?? "error"}); fix the path in ${name}` }]);
  }
  return readJson(name, text, path);
}

/** Numbers stay strings when they do not parse, so validation names the variable's field. */
function number(value: string): number | string {
  const n = Number(value);
  return value.trim() !== "" && Number.isFinite(n) ? n : value;
}

type Mutable = Record<string, unknown>;

function section(target: Mutable, key: string): Mutable {
  const existing = target[key];
  const obj = typeof existing === "object" && existing !== null ? (existing as Mutable) : {};
  target[key] = obj;
  return obj;
}

/** Register options from AGENT_CANARY_CONFIG and the AGENT_CANARY_* variables, for parseRegisterOptions to validate. */
export function optionsFromEnv(env: Env): unknown {
  const options: Mutable = {};
  if (env.AGENT_CANARY_CONFIG) {
    const fromFile = jsonOrFile("AGENT_CANARY_CONFIG", `@${env.AGENT_CANARY_CONFIG}`);
    if (typeof fromFile !== "object" || fromFile === null) {
      throw new OptionsError(env.AGENT_CANARY_CONFIG, [{ path: "", message: "expected a JSON object of register() options" }]);
    }
    Object.assign(options, fromFile);
  }
  if (env.AGENT_CANARY_DEPLOYMENT) options.deployment = env.AGENT_CANARY_DEPLOYMENT;
  if (env.AGENT_CANARY_BASELINE) section(options, "versions").baseline = jsonOrFile("AGENT_CANARY_BASELINE", env.AGENT_CANARY_BASELINE);
  if (env.AGENT_CANARY_CANARY) section(options, "versions").canary = jsonOrFile("AGENT_CANARY_CANARY", env.AGENT_CANARY_CANARY);
  if (env.AGENT_CANARY_STORE) options.store = env.AGENT_CANARY_STORE;
  if (env.AGENT_CANARY_METRICS_EXPORTER) section(options, "metrics").exporter = env.AGENT_CANARY_METRICS_EXPORTER;
  if (env.AGENT_CANARY_METRICS_PORT) section(options, "metrics").port = number(env.AGENT_CANARY_METRICS_PORT);
  if (env.AGENT_CANARY_METRICS_HOST) section(options, "metrics").host = env.AGENT_CANARY_METRICS_HOST;
  if (env.AGENT_CANARY_TRACES_EXPORTER) section(options, "traces").exporter = env.AGENT_CANARY_TRACES_EXPORTER;
  if (env.AGENT_CANARY_GUARD_MODE) section(options, "guards").mode = env.AGENT_CANARY_GUARD_MODE;
  if (env.AGENT_CANARY_BUDGET_USD) section(options, "guards").budgetUsd = number(env.AGENT_CANARY_BUDGET_USD);
  if (env.AGENT_CANARY_MAX_TURNS) section(options, "guards").maxTurns = number(env.AGENT_CANARY_MAX_TURNS);
  return options;
}
