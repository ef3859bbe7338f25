import type { GatesConfig } from "../config/resolve.js";

/** A number as PromQL reads it back exactly (shortest round-trip form); negative numbers in parentheses. */
export function num(x: number): string {
  if (!Number.isFinite(x)) throw new Error(`internal: ${x} cannot be written into PromQL`);
  return x < 0 ? `(${String(x)})` : String(x);
}

/** A string as a PromQL label value literal. */
export function quote(value: string): string {
  return JSON.stringify(value);
}

/**
 * `{deployment=~"a|b", <matchers>, <extra>}`: the selector of every raw series
 * the agents export (dots in deployment names escaped).
 */
export function selector(config: GatesConfig, ...extra: string[]): string {
  const deployments = config.deployments.map((d) => d.replace(/[.]/g, "\\\\.")).join("|");
  return `{${[`deployment=~"${deployments}"`, ...config.environment.matchers, ...extra].join(",")}}`;
}

/** The labels a rollout is kept apart by: the environment's `by` labels, deployment and rollout_id. */
export function rolloutLabels(config: GatesConfig): string[] {
  return [...config.environment.by, "deployment", "rollout_id"];
}

/** `by (<by labels>, deployment, rollout_id, ...more)`. */
export function by(config: GatesConfig, ...more: string[]): string {
  return `by (${[...rolloutLabels(config), ...more].join(", ")})`;
}

/** `on (<by labels>, deployment, rollout_id, ...more)`. */
export function on(config: GatesConfig, ...more: string[]): string {
  return `on (${[...rolloutLabels(config), ...more].join(", ")})`;
}

/** A recorded series of one gate, with more matchers. */
export function gateSeries(record: string, gate: string, ...extra: string[]): string {
  return `${record}{${[`gate=${quote(gate)}`, ...extra].join(",")}}`;
}
