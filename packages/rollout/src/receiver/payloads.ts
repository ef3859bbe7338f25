import { z } from "zod";

const Labels = z.record(z.string(), z.string());

/** One alert as both Alertmanager (v4) and Grafana send it; extra fields are kept, not required. */
const AlertSchema = z
  .object({
    status: z.enum(["firing", "resolved"]),
    labels: Labels,
    annotations: Labels.default({}),
    startsAt: z.string().optional(),
    endsAt: z.string().optional(),
    generatorURL: z.string().optional(),
    fingerprint: z.string().optional(),
  })
  .loose();

/** Alertmanager's webhook_config payload (https://prometheus.io/docs/alerting/latest/configuration/#webhook_config). */
export const AlertmanagerPayloadSchema = z
  .object({
    version: z.literal("4", { message: 'only Alertmanager webhook payload version "4" is understood' }),
    groupKey: z.string(),
    truncatedAlerts: z.number().int().min(0).default(0),
    status: z.enum(["firing", "resolved"]),
    receiver: z.string(),
    groupLabels: Labels.default({}),
    commonLabels: Labels.default({}),
    commonAnnotations: Labels.default({}),
    externalURL: z.string().default(""),
    alerts: z.array(AlertSchema),
  })
  .loose();

/** Grafana's webhook contact point payload (version "1"): Alertmanager's shape plus Grafana fields. */
export const GrafanaPayloadSchema = z
  .object({
    version: z.string().optional(),
    receiver: z.string().default(""),
    status: z.enum(["firing", "resolved"]),
    orgId: z.number().optional(),
    groupKey: z.string().default(""),
    alerts: z.array(AlertSchema),
    title: z.string().optional(),
    state: z.string().optional(),
  })
  .loose();

export type Alert = z.infer<typeof AlertSchema>;
export type AlertSource = "alertmanager" | "grafana";
