import { flagIssueMessage } from "@agent-canary/conventions/cli";
import { z } from "zod";
import { OutputOptionError, LabelsSchema, LabelValueSchema, LabelKeySchema, NamespaceSchema, ObjectNameSchema } from "./metadata.js";

/** The release label kube-prometheus-stack's Prometheus selects rules by (helm release name as in the README's guide). */
export const DEFAULT_SELECTOR_LABELS = { release: "kube-prometheus-stack" } as const;

const SecretKeySchema = z.string().regex(/^[-._a-zA-Z0-9]{1,253}$/, "a Secret key is letters, digits, '-', '_' and '.', e.g. token");

/** How `agent-canary rules --format kubernetes` writes PrometheusRule and AlertmanagerConfig. */
export const KubernetesRulesOptionsSchema = z.strictObject({
  namespace: NamespaceSchema.default("monitoring"),
  /** On both objects: the Prometheus CR's ruleSelector and the Alertmanager CR's alertmanagerConfigSelector match these. */
  labels: LabelsSchema.default(DEFAULT_SELECTOR_LABELS),
  name: ObjectNameSchema.default("agent-canary"),
  /** The Secret (in `namespace`) holding the receiver's bearer token, for the AlertmanagerConfig's webhooks. */
  tokenSecret: ObjectNameSchema.default("agent-canary-receiver-token"),
  tokenSecretKey: SecretKeySchema.default("token"),
  /**
   * Label every gate alert namespace=<namespace>. The operator's default matcher
   * strategy (OnNamespace) lets an AlertmanagerConfig see only alerts whose
   * namespace label is its own; turn off when the Alertmanager CR uses `None`.
   */
  namespaceLabel: z.boolean().default(true),
});
export type KubernetesRulesOptions = z.output<typeof KubernetesRulesOptionsSchema>;
export type KubernetesRulesOptionsInput = z.input<typeof KubernetesRulesOptionsSchema>;

/** How `agent-canary dashboards --format configmap` writes the dashboard ConfigMap. */
export const DashboardConfigMapOptionsSchema = z.strictObject({
  namespace: NamespaceSchema.default("monitoring"),
  /** Extra labels, next to the sidecar's. */
  labels: LabelsSchema.default({}),
  name: ObjectNameSchema.default("agent-canary-dashboards"),
  /** The label Grafana's dashboard sidecar looks for (kube-prometheus-stack: grafana_dashboard = "1"). */
  sidecarLabel: z.strictObject({ key: LabelKeySchema, value: LabelValueSchema }).default({ key: "grafana_dashboard", value: "1" }),
});
export type DashboardConfigMapOptions = z.output<typeof DashboardConfigMapOptionsSchema>;
export type DashboardConfigMapOptionsInput = z.input<typeof DashboardConfigMapOptionsSchema>;

/**
 * Parses options assembled from CLI flags; a problem names the flag that set
 * the field (`flags` maps field to flag) and what is allowed.
 */
export function parseKubernetesOptions<T>(schema: z.ZodType<T>, input: Readonly<Record<string, unknown>>, flags: Readonly<Record<string, string>>): T {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  // The shared formatter: the flag, the value given, the fix (e.g. "--namespace Monitoring: a namespace is lower-case...").
  throw new OutputOptionError(flagIssueMessage(parsed.error.issues[0], input, flags));
}
