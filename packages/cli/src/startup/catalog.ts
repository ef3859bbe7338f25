import type { Command } from "commander";

/** Adds one package's commands to a program. */
export type Registrar = (program: Command) => Command;

/** A package that contributes commands, loaded only when one of them runs. */
export interface CommandPackage {
  readonly name: string;
  readonly load: () => Promise<Registrar>;
}

/**
 * The top-level commands in the order `--help` lists them, as `--help` shows them
 * (term and description), and the package that implements each. `--help` needs
 * nothing else, so it loads no package; a test checks this table against the
 * commands the packages really register, so it cannot drift.
 */
export const PACKAGES = {
  gateRules: { name: "@agent-canary/gate-rules", load: async () => (await import("@agent-canary/gate-rules")).addGateRulesCommands },
  rollout: { name: "@agent-canary/rollout", load: async () => (await import("@agent-canary/rollout/cli")).addRolloutCommands },
  shadow: { name: "@agent-canary/shadow", load: async () => (await import("@agent-canary/shadow")).addShadowCommands },
} as const satisfies Record<string, CommandPackage>;

export interface CatalogEntry {
  readonly name: string;
  /** How `--help` names it: the command, `[options]` and its arguments. */
  readonly term: string;
  readonly description: string;
  readonly from: CommandPackage;
}

export const CATALOG: readonly CatalogEntry[] = [
  { name: "validate", term: "validate [options] <config>", description: "check a gates config (YAML or JSON) and print the gates it resolves to", from: PACKAGES.gateRules },
  {
    name: "rules",
    term: "rules [options]",
    description: "generate Prometheus recording and alert rules, Grafana alert rules and the Alertmanager config (or Kubernetes resources)",
    from: PACKAGES.gateRules,
  },
  {
    name: "dashboards",
    term: "dashboards [options]",
    description: "generate the Grafana dashboard JSON (importable; pick the Prometheus data source on import), or a ConfigMap for Grafana's sidecar",
    from: PACKAGES.gateRules,
  },
  { name: "receiver", term: "receiver [options]", description: "run the alert webhook receiver: Alertmanager and Grafana alerts roll back or hold rollouts", from: PACKAGES.rollout },
  { name: "rollout", term: "rollout", description: "start, inspect and change rollouts (every change is compare-and-set and audited as cli:<user>)", from: PACKAGES.rollout },
  { name: "shadow", term: "shadow", description: "Shadow mode: compare a candidate version with production on real traffic", from: PACKAGES.shadow },
];
