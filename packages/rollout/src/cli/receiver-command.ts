import { fieldErrorMap } from "@agent-canary/conventions";
import { Command, Option } from "commander";
import { ReceiverConfigSchema } from "../receiver/config.js";
import { CliError, type CliContext } from "./io.js";
import { configIssueExitCode, describeConfigIssue, receiverConfigFrom, type ReceiverFlags } from "./receiver-flags.js";
import { runAction } from "./run-action.js";

/** pino's levels; anything else would fail deep inside the logger with a message about "custom levels". */
const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"];

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
    .option("--archive-dir <dir>", "write a deployment record here when an alert ends a rollout (as rollout promote/rollback and the controller do; default: none)")
    .option("--body-limit <bytes>", "largest accepted request body (default 524288)")
    .option("--max-connections <n>", "connections beyond this are closed at once (default 512; keep it under the open-file limit)")
    .option("--stale-alert-skew <seconds>", "for alerts without rollout_id: how far startsAt may precede the rollout's start (default 60)")
    .option("--require-durable-store", "refuse to start when the store cannot make an acknowledged rollback durable (Redis without appendfsync always or replicas)")
    .option("--redis-wait-replicas <n>", "acknowledge a write only once this many Redis replicas have it (WAIT)")
    .option("--open-metrics", "serve /metrics without credentials")
    .option("--open-state", "serve /state without credentials")
    .option("--allow-unauthenticated", "accept hooks without credentials (local demos only)")
    .addOption(new Option("--log-level <level>", "how much to log").choices(LOG_LEVELS).default("info"))
    .addHelpText(
      "after",
      `\nExample:\n  $ agent-canary receiver --store redis://redis:6379 --token-file /etc/agent-canary/token --tls-cert-file /etc/agent-canary/tls.crt --tls-key-file /etc/agent-canary/tls.key\n\nAlertmanager side:\n  receivers:\n    - name: agent-canary\n      webhook_configs:\n        - url: https://agent-canary-receiver:8080/hooks/alertmanager\n          send_resolved: true\n          http_config: { authorization: { type: Bearer, credentials_file: /etc/agent-canary/token } }\n\nHealth: GET /healthz (process up, for liveness), GET /readyz (store readable and writable within 2 s, for readiness).\n`,
    )
    .action(async (flags: ReceiverFlags, cmd: Command) =>
      runAction(cmd, async () => {
        const parsed = ReceiverConfigSchema.safeParse(await receiverConfigFrom(flags, ctx.env), { error: fieldErrorMap });
        if (!parsed.success) throw new CliError(describeConfigIssue(parsed.error.issues[0], flags.config), configIssueExitCode(parsed.error.issues[0], flags));
        // The server (fastify, prom-client) loads only here: `rollout status` and the others never need it.
        await (await import("./receiver-serve.js")).serve(parsed.data, flags.logLevel);
      }),
    );
}
