import { DeploymentNameSchema } from "@agent-canary/rollout-state";
import { z } from "zod";
import { MatcherSyntaxError, parseMatchers, type AlertMatcher } from "./alert-matchers.js";

export const BasicCredentialSchema = z.object({
  username: z.string().min(1, "a basic-auth username is required"),
  password: z.string().min(8, "use a basic-auth password of at least 8 characters"),
}).strict();
export type BasicCredential = z.infer<typeof BasicCredentialSchema>;

/**
 * The timestamp header names Grafana users put in the contact point's HMAC "Timestamp
 * Header" field (Grafana has no default; it signs "<timestamp>:<body>" when one is set).
 */
export const GRAFANA_TIMESTAMP_HEADERS = ["X-Grafana-Alerting-Timestamp", "X-Grafana-Alerting-Signature-Timestamp"];

export const GrafanaSignatureSchema = z.object({
  /** The HMAC secret set in the Grafana webhook contact point ("HMAC Signature → Secret"). */
  secret: z.string().min(16, "use a Grafana HMAC secret of at least 16 characters"),
  /** Header carrying the hex HMAC-SHA256. */
  header: z.string().min(1).default("X-Grafana-Alerting-Signature"),
  /** Headers that may carry the Unix-seconds timestamp; the first present is used. */
  timestampHeaders: z.array(z.string().min(1)).min(1).default(GRAFANA_TIMESTAMP_HEADERS),
  /** Reject a signed timestamp further than this from now (replay guard). */
  maxSkewSeconds: z.number().int().positive().default(300),
  /**
   * Refuse deliveries without a signed timestamp (default): without one a captured delivery
   * could be replayed forever. Turn off only if Grafana cannot send one; then each signature
   * is accepted once per replayWindowSeconds.
   */
  requireTimestamp: z.boolean().default(true),
  /** Without timestamps: how long a signature, once seen, is refused as a replay. */
  replayWindowSeconds: z.number().int().positive().default(86_400),
}).strict();

const ReceiverAuthSchema = z.object({
  bearerTokens: z.array(z.string().min(16, "use a bearer token of at least 16 characters")).default([]),
  basic: z.array(BasicCredentialSchema).default([]),
  grafana: GrafanaSignatureSchema.optional(),
  /** Serve GET /metrics and GET /state without credentials (e.g. Prometheus scrapes on a private network). */
  openMetrics: z.boolean().default(false),
  openState: z.boolean().default(false),
  /** Accept hooks without any credentials. Only for local demos. */
  allowUnauthenticated: z.boolean().default(false),
}).strict();

/** Bounds that keep slow or hostile clients from holding the receiver (see README "Limits"). */
const LimitsSchema = z.object({
  /** Largest accepted request body in bytes. Alertmanager sends about 1 KiB per alert. */
  bodyLimitBytes: z.number().int().positive().default(512 * 1024),
  /** Deepest JSON nesting accepted; webhook payloads nest 4 levels. */
  maxJsonDepth: z.number().int().min(4).max(1_000).default(32),
  /** Time to receive a request's headers. */
  headersTimeoutMs: z.number().int().positive().default(10_000),
  /** Time to receive a whole request. */
  requestTimeoutMs: z.number().int().positive().default(30_000),
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: z.number().int().positive().default(5_000),
  /** A request not answered by then gets 503 (Alertmanager retries); the store's own timeouts are shorter. */
  handlerTimeoutMs: z.number().int().positive().default(15_000),
  /** Connections beyond this are closed at once; keep it under the process's open-file limit. */
  maxConnections: z.number().int().positive().default(512),
}).strict();

const TlsSchema = z.object({
  certFile: z.string().min(1, "give the PEM certificate file (--tls-cert-file)"),
  keyFile: z.string().min(1, "give the PEM private key file (--tls-key-file)"),
}).strict();

const MatchersSchema = z.union([z.string(), z.array(z.string())]).transform((value, ctx): AlertMatcher[] => {
  try {
    return (Array.isArray(value) ? value : [value]).flatMap((text) => parseMatchers(text));
  } catch (error) {
    if (!(error instanceof MatcherSyntaxError)) throw error;
    ctx.addIssue({ code: "custom", message: error.message });
    return z.NEVER;
  }
});

const ReceiverSettingsSchema = z
  .object({
    /** All interfaces by default: in a container Alertmanager calls the pod or service address. */
    host: z.string().min(1).default("0.0.0.0"),
    port: z.number().int().min(0).max(65535).default(8080),
    /** file:<dir>, redis://host:port, redis+sentinel://..., redis+cluster://... */
    store: z.string().min(1).default("file:./rollout-state"),
    auth: ReceiverAuthSchema.default({ bearerTokens: [], basic: [], openMetrics: false, openState: false, allowUnauthenticated: false }),
    tls: TlsSchema.optional(),
    /** Deployments this receiver may change; empty means every deployment that has a state. */
    deployments: z.array(DeploymentNameSchema).default([]),
    /** Act only on alerts whose labels match all of these (Alertmanager syntax), e.g. cluster="eu1". */
    alertMatchers: MatchersSchema.default([]),
    /** Largest accepted request body in bytes (also under limits; kept here for older configs). */
    bodyLimitBytes: z.number().int().positive().optional(),
    limits: LimitsSchema.prefault({}),
    /**
     * How far an alert's `startsAt` may precede the rollout's start and still be about it,
     * for alerts without a rollout_id label: the clocks of Prometheus or Grafana, of the host
     * that ran `rollout start` and of this receiver are never exactly equal.
     */
    staleAlertSkewSeconds: z.number().int().min(0).max(3600, "a skew allowance over an hour would let old alerts act on new rollouts").default(60),
    /** Refuse to start when the store cannot make an acknowledged write durable (Redis without appendfsync always or replicas). */
    requireDurableStore: z.boolean().default(false),
    /** Redis: wait for this many replicas to have each write before acknowledging it. */
    redisWaitReplicas: z.number().int().min(0).default(0),
    /** Where a deployment record is written when an alert rolls a rollout back; none: no record. */
    recordsDir: z.string().min(1).optional(),
  })
  .strict();

/**
 * What a --config file may hold. Checked on its own, before flags are merged in, so a
 * mistake names the file and line; the Grafana secret may still come from a flag.
 */
export const ReceiverFileSchema = ReceiverSettingsSchema.extend({
  auth: ReceiverAuthSchema.extend({ grafana: GrafanaSignatureSchema.partial().optional() }).partial().optional(),
  limits: LimitsSchema.partial().optional(),
  alertMatchers: z.union([z.string(), z.array(z.string())]).optional(),
}).partial();
export type ReceiverFileSettings = z.output<typeof ReceiverFileSchema>;

export const ReceiverConfigSchema = ReceiverSettingsSchema.transform(({ bodyLimitBytes, ...config }) => ({
  ...config,
  limits: { ...config.limits, ...(bodyLimitBytes === undefined ? {} : { bodyLimitBytes }) },
})).superRefine((config, ctx) => {
  const { auth } = config;
  if (!auth.allowUnauthenticated && auth.bearerTokens.length === 0 && auth.basic.length === 0 && !auth.grafana) {
    ctx.addIssue({
      code: "custom",
      path: ["auth"],
      message: "no credentials configured: give a bearer token (--token-file / --token-env), basic auth (--basic-auth-file) or a Grafana secret (--grafana-secret-file)",
    });
  }
  // A setting that would do nothing is a mistake the user should hear about, not a silent no-op.
  if (config.redisWaitReplicas > 0 && !/^rediss?(\+sentinel)?:\/\//.test(config.store)) {
    const why = /^rediss?\+cluster:/.test(config.store) ? "is not supported on Redis Cluster (WAIT cannot be aimed at the node that owns a deployment's keys)" : "applies only to a Redis store (redis://, rediss:// or redis+sentinel://)";
    ctx.addIssue({ code: "custom", path: ["redisWaitReplicas"], message: `waiting for Redis replicas ${why}: drop it or change the store` });
  }
});
export type ReceiverConfig = z.output<typeof ReceiverConfigSchema>;
export type ReceiverConfigInput = z.input<typeof ReceiverConfigSchema>;
