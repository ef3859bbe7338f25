import { DeploymentNameSchema } from "@agent-canary/rollout-state";
import { z } from "zod";

export const BasicCredentialSchema = z.object({
  username: z.string().min(1, "a basic-auth username is required"),
  password: z.string().min(8, "use a basic-auth password of at least 8 characters"),
});
export type BasicCredential = z.infer<typeof BasicCredentialSchema>;

export const GrafanaSignatureSchema = z.object({
  /** The HMAC secret set in the Grafana webhook contact point ("HMAC Signature → Secret"). */
  secret: z.string().min(16, "use a Grafana HMAC secret of at least 16 characters"),
  /** Header carrying the hex HMAC-SHA256. */
  header: z.string().min(1).default("X-Grafana-Alerting-Signature"),
  /** Header carrying the Unix-seconds timestamp, when Grafana is set to send one. */
  timestampHeader: z.string().min(1).default("X-Grafana-Alerting-Signature-Timestamp"),
  /** Reject a signed timestamp further than this from now (replay guard). */
  maxSkewSeconds: z.number().int().positive().default(300),
  /** Refuse deliveries without a timestamp (turn on once Grafana sends one). */
  requireTimestamp: z.boolean().default(false),
});

const ReceiverAuthSchema = z.object({
  bearerTokens: z.array(z.string().min(16, "use a bearer token of at least 16 characters")).default([]),
  basic: z.array(BasicCredentialSchema).default([]),
  grafana: GrafanaSignatureSchema.optional(),
  /** Serve GET /metrics and GET /state without credentials (e.g. Prometheus scrapes on a private network). */
  openMetrics: z.boolean().default(false),
  openState: z.boolean().default(false),
  /** Accept hooks without any credentials. Only for local demos. */
  allowUnauthenticated: z.boolean().default(false),
});

const ReceiverSettingsSchema = z
  .object({
    host: z.string().min(1).default("127.0.0.1"),
    port: z.number().int().min(0).max(65535).default(8080),
    /** file:<dir> or redis://host:port */
    store: z.string().min(1).default("file:./rollout-state"),
    auth: ReceiverAuthSchema.default({ bearerTokens: [], basic: [], openMetrics: false, openState: false, allowUnauthenticated: false }),
    /** Deployments this receiver may change; empty means every deployment that has a state. */
    deployments: z.array(DeploymentNameSchema).default([]),
    /** Largest accepted request body in bytes. */
    bodyLimitBytes: z.number().int().positive().default(1024 * 1024),
    /**
     * A firing alert whose `startsAt` is earlier than the current rollout's start by more than
     * this is stale (a re-send about an earlier rollout) and changes nothing. Raise it only when
     * the clocks of Prometheus/Grafana and the rollout writers disagree; 0 keeps the rule strict.
     */
    staleAlertSkewSeconds: z.number().int().min(0).max(3600, "a skew allowance over an hour would let old alerts act on new rollouts").default(0),
  })
  .strict();

/**
 * What a --config file may hold. Checked on its own, before flags are merged in, so a
 * mistake names the file and line; the Grafana secret may still come from a flag.
 */
export const ReceiverFileSchema = ReceiverSettingsSchema.extend({
  auth: ReceiverAuthSchema.extend({ grafana: GrafanaSignatureSchema.partial().optional() }).partial().optional(),
}).partial();
export type ReceiverFileSettings = z.output<typeof ReceiverFileSchema>;

export const ReceiverConfigSchema = ReceiverSettingsSchema
  .superRefine((config, ctx) => {
    const { auth } = config;
    if (!auth.allowUnauthenticated && auth.bearerTokens.length === 0 && auth.basic.length === 0 && !auth.grafana) {
      ctx.addIssue({
        code: "custom",
        path: ["auth"],
        message: "no credentials configured: give a bearer token (--token-file / --token-env), basic auth (--basic-auth-file) or a Grafana secret (--grafana-secret-file)",
      });
    }
  });
export type ReceiverConfig = z.output<typeof ReceiverConfigSchema>;
export type ReceiverConfigInput = z.input<typeof ReceiverConfigSchema>;
