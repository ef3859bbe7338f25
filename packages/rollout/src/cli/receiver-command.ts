import { access, constants } from "node:fs/promises";
import { openStore } from "@agent-canary/rollout-state";
import { Command } from "commander";
import { readYamlFile } from "../yaml-file.js";
import { ReceiverConfigSchema, ReceiverFileSchema, type ReceiverConfig, type ReceiverConfigInput, type ReceiverFileSettings } from "../receiver/config.js";
import { ReceiverStartError } from "../receiver/durability-check.js";
import { createReceiver } from "../receiver/server.js";
import { parsePositiveInt, readSecretLines, secretFromEnv } from "./inputs.js";
import { CliError, type CliContext } from "./io.js";
import { runAction } from "./run-action.js";

interface ReceiverFlags {
  config?: string;
  port?: string;
  host?: string;
  loopback?: boolean;
  store?: string;
  tlsCertFile?: string;
  tlsKeyFile?: string;
  tokenFile?: string;
  tokenEnv?: string;
  basicAuthFile?: string;
  grafanaSecretFile?: string;
  grafanaSignatureHeader?: string;
  grafanaTimestampHeader?: string;
  grafanaRequireTimestamp?: boolean;
  grafanaAllowMissingTimestamp?: boolean;
  deployments?: string;
  alertMatchers?: string;
  bodyLimit?: string;
  maxConnections?: string;
  staleAlertSkew?: string;
  requireDurableStore?: boolean;
  redisWaitReplicas?: string;
  openMetrics?: boolean;
  openState?: boolean;
  allowUnauthenticated?: boolean;
  logLevel: string;
}

function readConfigFile(path: string): Promise<ReceiverFileSettings> {
  return readYamlFile("--config", path, ReceiverFileSchema, "the file holds receiver settings: host, port, store, auth, tls, deployments, alertMatchers, limits, staleAlertSkewSeconds, requireDurableStore, redisWaitReplicas (see the README)");
}

/** Config file first, then flags on top; secrets come from files or the environment, never from flags. */
export async function receiverConfigFrom(flags: ReceiverFlags, env: NodeJS.ProcessEnv): Promise<ReceiverConfigInput> {
  const file = flags.config ? await readConfigFile(flags.config) : {};
  const { grafana: fileGrafana, ...fileAuth } = file.auth ?? {};
  const bearerTokens = [...(fileAuth.bearerTokens ?? [])];
  if (flags.tokenFile) bearerTokens.push(...(await readSecretLines("--token-file", flags.tokenFile)));
  if (flags.tokenEnv) bearerTokens.push(secretFromEnv("--token-env", env, flags.tokenEnv));
  const basic = [...(fileAuth.basic ?? []), ...(flags.basicAuthFile ? await readBasicAuthFile(flags.basicAuthFile) : [])];
  const grafana = await grafanaSettings(flags, fileGrafana);
  if (flags.host && flags.loopback) throw new CliError("--host and --loopback both say where to listen: give one");
  const tls = flags.tlsCertFile || flags.tlsKeyFile ? await tlsFiles(flags) : file.tls;
  return {
    ...file,
    ...(flags.host ? { host: flags.host } : {}),
    ...(flags.loopback ? { host: "127.0.0.1" } : {}),
    ...(flags.port ? { port: parsePositiveInt("--port", flags.port) } : {}),
    ...(flags.store ? { store: flags.store } : {}),
    ...(tls ? { tls } : {}),
    ...(flags.deployments ? { deployments: flags.deployments.split(",").map((d) => d.trim()).filter(Boolean) } : {}),
    ...(flags.alertMatchers ? { alertMatchers: flags.alertMatchers } : {}),
    limits: {
      ...file.limits,
      ...(flags.bodyLimit ? { bodyLimitBytes: parsePositiveInt("--body-limit", flags.bodyLimit, 1) } : {}),
      ...(flags.maxConnections ? { maxConnections: parsePositiveInt("--max-connections", flags.maxConnections, 1) } : {}),
    },
    ...(flags.staleAlertSkew ? { staleAlertSkewSeconds: parsePositiveInt("--stale-alert-skew", flags.staleAlertSkew) } : {}),
    ...(flags.requireDurableStore ? { requireDurableStore: true } : {}),
    ...(flags.redisWaitReplicas ? { redisWaitReplicas: parsePositiveInt("--redis-wait-replicas", flags.redisWaitReplicas) } : {}),
    auth: {
      ...fileAuth,
      bearerTokens,
      basic,
      ...(grafana ? { grafana } : {}),
      ...(flags.openMetrics ? { openMetrics: true } : {}),
      ...(flags.openState ? { openState: true } : {}),
      ...(flags.allowUnauthenticated ? { allowUnauthenticated: true } : {}),
    },
  };
}

/** Both TLS files, each checked readable so the error names its flag. */
async function tlsFiles(flags: ReceiverFlags): Promise<{ certFile: string; keyFile: string }> {
  if (!flags.tlsCertFile || !flags.tlsKeyFile) throw new CliError("TLS needs both --tls-cert-file and --tls-key-file (PEM files)");
  for (const [flag, path] of [["--tls-cert-file", flags.tlsCertFile], ["--tls-key-file", flags.tlsKeyFile]] as const) {
    await access(path, constants.R_OK).catch((error: NodeJS.ErrnoException) => {
      throw new CliError(`${flag} ${path}: cannot read it (${error.code ?? String(error)})`);
    });
  }
  return { certFile: flags.tlsCertFile, keyFile: flags.tlsKeyFile };
}

async function readBasicAuthFile(path: string): Promise<{ username: string; password: string }[]> {
  return (await readSecretLines("--basic-auth-file", path)).map((line) => {
    const colon = line.indexOf(":");
    if (colon <= 0) throw new CliError(`--basic-auth-file ${path}: each line must be user:password`);
    return { username: line.slice(0, colon), password: line.slice(colon + 1) };
  });
}

type GrafanaInput = NonNullable<NonNullable<ReceiverConfigInput["auth"]>["grafana"]>;

/** The Grafana settings of the file with the flags on top; undefined when neither mentions Grafana. */
async function grafanaSettings(flags: ReceiverFlags, fromFile: Partial<GrafanaInput> | undefined): Promise<GrafanaInput | undefined> {
  const secret = flags.grafanaSecretFile ? (await readSecretLines("--grafana-secret-file", flags.grafanaSecretFile))[0] : fromFile?.secret;
  if (!fromFile && secret === undefined) return undefined;
  return {
    ...fromFile,
    // Missing from both file and flags: "" fails the final check, which names the field.
    secret: secret ?? "",
    ...(flags.grafanaSignatureHeader ? { header: flags.grafanaSignatureHeader } : {}),
    ...(flags.grafanaTimestampHeader ? { timestampHeaders: [flags.grafanaTimestampHeader] } : {}),
    ...(flags.grafanaRequireTimestamp ? { requireTimestamp: true } : {}),
    ...(flags.grafanaAllowMissingTimestamp ? { requireTimestamp: false } : {}),
  };
}

/** Runs the receiver until SIGTERM or SIGINT, then lets in-flight requests finish. */
async function serve(config: ReceiverConfig, logLevel: string): Promise<void> {
  const store = openStore(config.store, { waitReplicas: config.redisWaitReplicas });
  const receiver = createReceiver({ config, store, logger: { level: logLevel } });
  try {
    const address = await receiver.listen();
    receiver.app.log.info({ address, store: config.store, deployments: config.deployments, tls: Boolean(config.tls) }, "receiver listening");
  } catch (error) {
    await receiver.close().catch(() => undefined);
    if (error instanceof ReceiverStartError) throw new CliError(error.message);
    throw error;
  }
  await new Promise<void>((resolve) => {
    const shutdown = (signal: string) => {
      receiver.app.log.info({ signal }, "shutting down: finishing in-flight requests");
      void receiver.close().then(resolve, (error: unknown) => {
        receiver.app.log.error({ err: error }, "shutdown failed");
        resolve();
      });
    };
    process.once("SIGTERM", () => shutdown("SIGTERM"));
    process.once("SIGINT", () => shutdown("SIGINT"));
  });
}

export function addReceiverCommand(program: Command, ctx: CliContext): void {
  program
    .command("receiver")
    .description("run the alert webhook receiver: Alertmanager and Grafana alerts roll back or hold rollouts")
    .option("--config <file>", "YAML file with receiver settings (flags override it)")
    .option("--port <port>", "port to listen on (default 8080)")
    .option("--host <host>", "address to listen on (default 0.0.0.0: all interfaces, as in a container)")
    .option("--loopback", "listen on 127.0.0.1 only (a receiver on the same host as Alertmanager)")
    .option("--tls-cert-file <file>", "serve HTTPS with this PEM certificate (with --tls-key-file)")
    .option("--tls-key-file <file>", "PEM private key for --tls-cert-file")
    .option("--store <spec>", "rollout state store: file:<dir>, redis://host:port, redis+sentinel://s1:26379/<master>, redis+cluster://n1:7000,n2:7001 (default file:./rollout-state)", ctx.env.AGENT_CANARY_STORE)
    .option("--token-file <file>", "bearer tokens, one per line")
    .option("--token-env <name>", "environment variable holding a bearer token")
    .option("--basic-auth-file <file>", "basic-auth credentials, one user:password per line")
    .option("--grafana-secret-file <file>", "HMAC secret of the Grafana webhook contact point")
    .option("--grafana-signature-header <name>", "signature header (default X-Grafana-Alerting-Signature)")
    .option("--grafana-timestamp-header <name>", "timestamp header set in the contact point (default: X-Grafana-Alerting-Timestamp or X-Grafana-Alerting-Signature-Timestamp)")
    .option("--grafana-require-timestamp", "refuse Grafana deliveries without a signed timestamp (the default)")
    .option("--grafana-allow-missing-timestamp", "accept Grafana deliveries without a timestamp; each signature is then accepted once a day")
    .option("--deployments <names>", "comma-separated deployments this receiver may change (default: any with a state)")
    .option("--alert-matchers <matchers>", "act only on alerts matching these labels, Alertmanager syntax, e.g. 'cluster=\"eu1\",namespace=~\"shop-.*\"'")
    .option("--body-limit <bytes>", "largest accepted request body (default 524288)")
    .option("--max-connections <n>", "connections beyond this are closed at once (default 512; keep it under the open-file limit)")
    .option("--stale-alert-skew <seconds>", "for alerts without rollout_id: how far startsAt may precede the rollout's start (default 60)")
    .option("--require-durable-store", "refuse to start when the store cannot make an acknowledged rollback durable (Redis without appendfsync always or replicas)")
    .option("--redis-wait-replicas <n>", "acknowledge a write only once this many Redis replicas have it (WAIT)")
    .option("--open-metrics", "serve /metrics without credentials")
    .option("--open-state", "serve /state without credentials")
    .option("--allow-unauthenticated", "accept hooks without credentials (local demos only)")
    .option("--log-level <level>", "trace, debug, info, warn, error", "info")
    .addHelpText(
      "after",
      `\nExample:\n  $ agent-canary receiver --store redis://redis:6379 --token-file /etc/agent-canary/token --tls-cert-file /etc/agent-canary/tls.crt --tls-key-file /etc/agent-canary/tls.key\n\nAlertmanager side:\n  receivers:\n    - name: agent-canary\n      webhook_configs:\n        - url: https://agent-canary-receiver:8080/hooks/alertmanager\n          send_resolved: true\n          http_config: { authorization: { type: Bearer, credentials_file: /etc/agent-canary/token } }\n\nHealth: GET /healthz (process up, for liveness), GET /readyz (store readable and writable within 2 s, for readiness).\n`,
    )
    .action(async (flags: ReceiverFlags, cmd: Command) =>
      runAction(cmd, async () => {
        const parsed = ReceiverConfigSchema.safeParse(await receiverConfigFrom(flags, ctx.env));
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          throw new CliError(`receiver config${flags.config ? ` (${flags.config})` : ""}: ${issue?.path.join(".") || "config"}: ${issue?.message ?? "invalid"}`);
        }
        await serve(parsed.data, flags.logLevel);
      }),
    );
}
