import type { GatesConfig } from "../config/resolve.js";
import { OutputOptionError, parseLabelFlags } from "../kubernetes/metadata.js";
import {
  DashboardConfigMapOptionsSchema,
  KubernetesRulesOptionsSchema,
  parseKubernetesOptions,
  type DashboardConfigMapOptions,
  type KubernetesRulesOptions,
} from "../kubernetes/options.js";

export interface RulesFlags {
  format: "files" | "kubernetes";
  namespace?: string;
  label: string[];
  name?: string;
  tokenSecret?: string;
  tokenSecretKey?: string;
  /** false with --no-namespace-label. */
  namespaceLabel: boolean;
}

export interface DashboardFlags {
  format: "json" | "configmap";
  namespace?: string;
  label: string[];
  sidecarLabel?: string;
  name?: string;
}

/** The fields a flag set: the schema's defaults fill the others. */
function given(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
}

/** Refuses flags that only mean something with another --format, so a forgotten --format is not silently ignored. */
function refuseOutside(format: string, wanted: string, given: Record<string, boolean>): void {
  const stray = Object.entries(given).filter(([, set]) => set).map(([flag]) => flag);
  if (stray.length) throw new OutputOptionError(`${stray.join(", ")} applies only with --format ${wanted} (the format is ${format}); add --format ${wanted}`);
}

/** The Kubernetes options of `rules`, or undefined for --format files. Throws OutputOptionError naming the flag. */
export function kubernetesRulesOptionsFromFlags(flags: RulesFlags): KubernetesRulesOptions | undefined {
  if (flags.format !== "kubernetes") {
    refuseOutside(flags.format, "kubernetes", {
      "--namespace": flags.namespace !== undefined,
      "--label": flags.label.length > 0,
      "--name": flags.name !== undefined,
      "--token-secret": flags.tokenSecret !== undefined,
      "--token-secret-key": flags.tokenSecretKey !== undefined,
      "--no-namespace-label": !flags.namespaceLabel,
    });
    return undefined;
  }
  const input = given({
    namespace: flags.namespace,
    labels: flags.label.length ? parseLabelFlags("--label", flags.label) : undefined,
    name: flags.name,
    tokenSecret: flags.tokenSecret,
    tokenSecretKey: flags.tokenSecretKey,
    namespaceLabel: flags.namespaceLabel,
  });
  return parseKubernetesOptions(KubernetesRulesOptionsSchema, input, {
    namespace: "--namespace",
    labels: "--label",
    name: "--name",
    tokenSecret: "--token-secret",
    tokenSecretKey: "--token-secret-key",
  });
}

/** The ConfigMap options of `dashboards`, or undefined for --format json. */
export function dashboardConfigMapOptionsFromFlags(flags: DashboardFlags): DashboardConfigMapOptions | undefined {
  if (flags.format !== "configmap") {
    refuseOutside(flags.format, "configmap", {
      "--namespace": flags.namespace !== undefined,
      "--label": flags.label.length > 0,
      "--sidecar-label": flags.sidecarLabel !== undefined,
      "--name": flags.name !== undefined,
    });
    return undefined;
  }
  const sidecar = flags.sidecarLabel === undefined ? undefined : Object.entries(parseLabelFlags("--sidecar-label", [flags.sidecarLabel]))[0];
  const input = given({
    namespace: flags.namespace,
    labels: flags.label.length ? parseLabelFlags("--label", flags.label) : undefined,
    name: flags.name,
    sidecarLabel: sidecar ? { key: sidecar[0], value: sidecar[1] } : undefined,
  });
  return parseKubernetesOptions(DashboardConfigMapOptionsSchema, input, { namespace: "--namespace", labels: "--label", name: "--name", sidecarLabel: "--sidecar-label" });
}

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/;

/** Warnings about a config that generates fine but would not work where it is going. */
export function rulesNotes(config: GatesConfig, kubernetes: boolean): string[] {
  const notes: string[] = [];
  const host = new URL(config.receiver.url).hostname;
  if (kubernetes && LOOPBACK.test(host)) {
    notes.push(
      `warning: receiver.url ${config.receiver.url} is a loopback address, which Alertmanager in the cluster cannot reach; ` +
        "set receiver.url in gates.yaml to the receiver's Service, e.g. http://agent-canary-receiver.agent-canary.svc:8080",
    );
  }
  if (!kubernetes && !config.notifications.receiver) {
    notes.push(
      "note: notifications.receiver is not set: gate warnings without an action (...GateBlind) reach only the routes after the fragment's in your config, " +
        "and nobody with the whole alertmanager.yaml; name your receiver for people in gates.yaml (notifications: {receiver: team-oncall})",
    );
  }
  return notes;
}
