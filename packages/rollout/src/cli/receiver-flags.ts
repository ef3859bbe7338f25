import { readFile } from "node:fs/promises";
import { createSecureContext } from "node:tls";
import type { z } from "zod";
import { MatcherSyntaxError, parseMatchers } from "../receiver/alert-matchers.js";
import { ReceiverFileSchema, type ReceiverConfigInput, type ReceiverFileSettings } from "../receiver/config.js";
import { readYamlFile } from "../yaml-file.js";
import { parseDeployment, parsePositiveInt, readSecretLines, secretFromEnv } from "./inputs.js";
import { CliError, EXIT_CODES, usageError } from "./io.js";
import type { ExitCode } from "@agent-canary/conventions/cli";

/** The receiver command's flags as commander hands them over (all strings until checked). */
export interface ReceiverFlags {
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
  archiveDir?: string;
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
  return readYamlFile("--config", path, ReceiverFileSchema, "the file holds receiver settings: host, port, store, auth, tls, deployments, alertMatchers, recordsDir, limits, staleAlertSkewSeconds, requireDurableStore, redisWaitReplicas (see the README)");
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
  if (flags.host && flags.loopback) throw usageError("--host and --loopback both say where to listen: give one");
  const tls = await tlsSettings(flags, file.tls);
  return {
    ...file,
    ...(flags.host ? { host: flags.host } : {}),
    ...(flags.loopback ? { host: "127.0.0.1" } : {}),
    ...(flags.port ? { port: parsePositiveInt("--port", flags.port) } : {}),
    ...(flags.store ? { store: flags.store } : {}),
    ...(tls ? { tls } : {}),
    ...(flags.deployments ? { deployments: deploymentsFlag(flags.deployments) } : {}),
    ...(flags.alertMatchers ? { alertMatchers: matchersFlag(flags.alertMatchers) } : {}),
    ...(flags.archiveDir ? { recordsDir: flags.archiveDir } : {}),
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

/** --deployments a,b: each name checked here, so the error names the flag and the bad name. */
function deploymentsFlag(value: string): string[] {
  return value
    .split(",")
    .map((d) => d.trim())
    .filter(Boolean)
    .map((name) => parseDeployment("--deployments", name));
}

/** --alert-matchers: parsed here so a syntax error names the flag; the schema parses it again into matchers. */
function matchersFlag(value: string): string {
  try {
    parseMatchers(value);
  } catch (error) {
    if (error instanceof MatcherSyntaxError) throw usageError(`--alert-matchers ${value}: ${error.message}`);
    throw error;
  }
  return value;
}

type TlsInput = NonNullable<ReceiverConfigInput["tls"]>;

/**
 * The TLS files from the flags (both or neither) or the config file, each checked readable and
 * the pair checked to be a PEM certificate with its key, so a mistake is named at start rather
 * than as an OpenSSL error code.
 */
async function tlsSettings(flags: ReceiverFlags, fromFile: TlsInput | undefined): Promise<TlsInput | undefined> {
  const fromFlags = Boolean(flags.tlsCertFile || flags.tlsKeyFile);
  if (fromFlags && (!flags.tlsCertFile || !flags.tlsKeyFile)) throw usageError("TLS needs both --tls-cert-file and --tls-key-file (PEM files)");
  const tls = fromFlags ? { certFile: flags.tlsCertFile ?? "", keyFile: flags.tlsKeyFile ?? "" } : fromFile;
  if (!tls?.certFile || !tls.keyFile) return tls;
  const names = fromFlags ? { cert: "--tls-cert-file", key: "--tls-key-file" } : { cert: "tls.certFile (in --config)", key: "tls.keyFile (in --config)" };
  const read = (name: string, path: string) =>
    readFile(path).catch((error: NodeJS.ErrnoException) => {
      throw new CliError(`${name} ${path}: cannot read it (${error.code ?? String(error)})`);
    });
  const [cert, key] = [await read(names.cert, tls.certFile), await read(names.key, tls.keyFile)];
  try {
    createSecureContext({ cert, key });
  } catch (error) {
    throw new CliError(
      `${names.cert} ${tls.certFile} and ${names.key} ${tls.keyFile}: not a PEM certificate and its private key (${(error as Error).message}); give the certificate (-----BEGIN CERTIFICATE-----) and the key that signed it`,
    );
  }
  return tls;
}

async function readBasicAuthFile(path: string): Promise<{ username: string; password: string }[]> {
  return (await readSecretLines("--basic-auth-file", path)).map((line) => {
    const colon = line.indexOf(":");
    if (colon <= 0) throw new CliError(`--basic-auth-file ${path}: each line must be user:password`);
    return { username: line.slice(0, colon), password: line.slice(colon + 1) };
  });
}

type GrafanaInput = NonNullable<NonNullable<ReceiverConfigInput["auth"]>["grafana"]>;

/** The Grafana-only flags: each does something only with a Grafana secret. */
const GRAFANA_FLAGS = [
  ["grafanaSignatureHeader", "--grafana-signature-header"],
  ["grafanaTimestampHeader", "--grafana-timestamp-header"],
  ["grafanaRequireTimestamp", "--grafana-require-timestamp"],
  ["grafanaAllowMissingTimestamp", "--grafana-allow-missing-timestamp"],
] as const;

/** The Grafana settings of the file with the flags on top; undefined when neither mentions Grafana. */
async function grafanaSettings(flags: ReceiverFlags, fromFile: Partial<GrafanaInput> | undefined): Promise<GrafanaInput | undefined> {
  if (flags.grafanaRequireTimestamp && flags.grafanaAllowMissingTimestamp) {
    throw usageError("--grafana-require-timestamp and --grafana-allow-missing-timestamp contradict each other: give one (timestamps are required by default)");
  }
  const secret = flags.grafanaSecretFile ? (await readSecretLines("--grafana-secret-file", flags.grafanaSecretFile))[0] : fromFile?.secret;
  if (!fromFile && secret === undefined) {
    const given = GRAFANA_FLAGS.find(([key]) => flags[key] !== undefined);
    if (given) throw usageError(`${given[1]} applies to Grafana deliveries, which need the contact point's HMAC secret: add --grafana-secret-file (or auth.grafana.secret in --config)`);
    return undefined;
  }
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

/** Where a setting comes from, for errors about the merged config: the flag first, then the file's field. */
const SOURCES: [prefix: string, where: string][] = [
  ["auth.bearerTokens", "--token-file / --token-env, or auth.bearerTokens in --config"],
  ["auth.basic", "--basic-auth-file, or auth.basic in --config"],
  ["auth.grafana.secret", "--grafana-secret-file, or auth.grafana.secret in --config"],
  ["redisWaitReplicas", "--redis-wait-replicas, or redisWaitReplicas in --config"],
  ["store", "--store, $AGENT_CANARY_STORE, or store in --config"],
];

/** The flag that sets each field a flag can set (flags win over the config file). */
const FLAG_OF_FIELD: Readonly<Record<string, keyof ReceiverFlags>> = {
  host: "host",
  port: "port",
  store: "store",
  recordsDir: "archiveDir",
  deployments: "deployments",
  alertMatchers: "alertMatchers",
  "limits.bodyLimitBytes": "bodyLimit",
  "limits.maxConnections": "maxConnections",
  staleAlertSkewSeconds: "staleAlertSkew",
  redisWaitReplicas: "redisWaitReplicas",
};

/**
 * Exit 2 when the bad value came from a flag (or $AGENT_CANARY_STORE, --store's default):
 * the command line is wrong. Exit 1 when it came from the --config file.
 */
export function configIssueExitCode(issue: z.core.$ZodIssue | undefined, flags: ReceiverFlags): ExitCode {
  const flag = FLAG_OF_FIELD[issue?.path.join(".") ?? ""];
  return flag !== undefined && flags[flag] !== undefined ? EXIT_CODES.usage : EXIT_CODES.failed;
}

/** The first problem of the merged settings, naming the flag (or config field) that set it. */
export function describeConfigIssue(issue: z.core.$ZodIssue | undefined, configFile: string | undefined): string {
  const path = issue?.path.join(".") || "config";
  const source = SOURCES.find(([prefix]) => path === prefix || path.startsWith(`${prefix}.`))?.[1];
  return `receiver config${configFile ? ` (${configFile})` : ""}: ${path}${source ? ` (${source})` : ""}: ${issue?.message ?? "invalid"}`;
}
