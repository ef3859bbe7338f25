import { openStore } from "@agent-canary/rollout-state";
import { Command } from "commander";
import { readYamlFile } from "../yaml-file.js";
import { ReceiverConfigSchema, ReceiverFileSchema, type ReceiverConfigInput, type ReceiverFileSettings } from "../receiver/config.js";
import { createReceiver } from "../receiver/server.js";
import { parsePositiveInt, readSecretLines, secretFromEnv } from "./inputs.js";
import { CliError, type CliContext } from "./io.js";
import { runAction } from "./run-action.js";

interface ReceiverFlags {
  config?: string;
  port?: string;
  host?: string;
  store?: string;
  tokenFile?: string;
  tokenEnv?: string;
  basicAuthFile?: string;
  grafanaSecretFile?: string;
  grafanaSignatureHeader?: string;
  grafanaTimestampHeader?: string;
  grafanaRequireTimestamp?: boolean;
  deployments?: string;
  bodyLimit?: string;
  staleAlertSkew?: string;
  openMetrics?: boolean;
  openState?: boolean;
  allowUnauthenticated?: boolean;
  logLevel: string;
}

function readConfigFile(path: string): Promise<ReceiverFileSettings> {
  return readYamlFile("--config", path, ReceiverFileSchema, "the file holds receiver settings: host, port, store, auth, deployments, bodyLimitBytes, staleAlertSkewSeconds (see the README)");
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
  return {
    ...file,
    ...(flags.host ? { host: flags.host } : {}),
    ...(flags.port ? { port: parsePositiveInt("--port", flags.port) } : {}),
    ...(flags.store ? { store: flags.store } : {}),
    ...(flags.deployments ? { deployments: flags.deployments.split(",").map((d) => d.trim()).filter(Boolean) } : {}),
    ...(flags.bodyLimit ? { bodyLimitBytes: parsePositiveInt("--body-limit", flags.bodyLimit, 1) } : {}),
    ...(flags.staleAlertSkew ? { staleAlertSkewSeconds: parsePositiveInt("--stale-alert-skew", flags.staleAlertSkew) } : {}),
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
    ...(flags.grafanaTimestampHeader ? { timestampHeader: flags.grafanaTimestampHeader } : {}),
    ...(flags.grafanaRequireTimestamp ? { requireTimestamp: true } : {}),
  };
}

export function addReceiverCommand(program: Command, ctx: CliContext): void {
  program
    .command("receiver")
    .description("run the alert webhook receiver: Alertmanager and Grafana alerts roll back or hold rollouts")
    .option("--config <file>", "YAML file with receiver settings (flags override it)")
    .option("--port <port>", "port to listen on (default 8080)")
    .option("--host <host>", "address to listen on (default 127.0.0.1; use 0.0.0.0 to accept remote Alertmanagers)")
    .option("--store <spec>", "rollout state store: file:<dir> or redis://host:port (default file:./rollout-state)", ctx.env.AGENT_CANARY_STORE)
    .option("--token-file <file>", "bearer tokens, one per line")
    .option("--token-env <name>", "environment variable holding a bearer token")
    .option("--basic-auth-file <file>", "basic-auth credentials, one user:password per line")
    .option("--grafana-secret-file <file>", "HMAC secret of the Grafana webhook contact point")
    .option("--grafana-signature-header <name>", "signature header (default X-Grafana-Alerting-Signature)")
    .option("--grafana-timestamp-header <name>", "timestamp header (default X-Grafana-Alerting-Signature-Timestamp)")
    .option("--grafana-require-timestamp", "refuse Grafana deliveries without a signed timestamp")
    .option("--deployments <names>", "comma-separated deployments this receiver may change (default: any with a state)")
    .option("--body-limit <bytes>", "largest accepted request body (default 1048576)")
    .option("--stale-alert-skew <seconds>", "clock skew allowed when judging an alert older than the current rollout stale (default 0)")
    .option("--open-metrics", "serve /metrics without credentials")
    .option("--open-state", "serve /state without credentials")
    .option("--allow-unauthenticated", "accept hooks without credentials (local demos only)")
    .option("--log-level <level>", "trace, debug, info, warn, error", "info")
    .addHelpText(
      "after",
      `\nExample:\n  $ agent-canary receiver --store file:/var/lib/agent-canary --token-file /etc/agent-canary/token --deployments support-bot\n\nAlertmanager side:\n  receivers:\n    - name: agent-canary\n      webhook_configs:\n        - url: http://127.0.0.1:8080/hooks/alertmanager\n          send_resolved: true\n          http_config: { authorization: { type: Bearer, credentials_file: /etc/agent-canary/token } }\n`,
    )
    .action(async (flags: ReceiverFlags, cmd: Command) =>
      runAction(cmd, async () => {
        const parsed = ReceiverConfigSchema.safeParse(await receiverConfigFrom(flags, ctx.env));
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          throw new CliError(`receiver config${flags.config ? ` (${flags.config})` : ""}: ${issue?.path.join(".") || "config"}: ${issue?.message ?? "invalid"}`);
        }
        const config = parsed.data;
        const receiver = createReceiver({ config, store: openStore(config.store), logger: { level: flags.logLevel } });
        const address = await receiver.listen();
        receiver.app.log.info({ address, store: config.store, deployments: config.deployments }, "receiver listening");
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
      }),
    );
}
