/**
 * The alert pipeline's own latency, on real Prometheus and Alertmanager: from
 * the moment a gate's condition becomes true in the agent's metrics to the
 * moment the receiver's rollback is durable. The statistical part (how many
 * sessions a gate needs before its condition becomes true) is decisions.md;
 * here the condition is a series that flips from 0 to 1, so every millisecond
 * measured belongs to scrape, rule evaluation, `for`, Alertmanager and receiver.
 */
import { createServer, type Server } from "node:http";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createReceiver, ReceiverConfigSchema, type Receiver } from "@agent-canary/rollout";
import { FileStore, start, transition, type RolloutStore } from "@agent-canary/rollout-state";
import { freePort } from "@agent-canary/testkit";

export const TOKEN = "bench-e2e-token-0123456789abcdef";

/** A /metrics endpoint serving one gate series per deployment; it notes when it first served each flip. */
export class FlipMetrics {
  private readonly failing = new Set<string>();
  readonly firstServedFailing = new Map<string, number>();
  private server: Server | undefined;

  async listen(): Promise<string> {
    const port = await freePort();
    this.server = createServer((_req, res) => {
      const now = Date.now();
      const lines = ["# TYPE bench_gate_failing gauge"];
      for (const d of this.failing) {
        if (!this.firstServedFailing.has(d)) this.firstServedFailing.set(d, now);
        lines.push(`bench_gate_failing{deployment="${d}"} 1`);
      }
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end(`${lines.join("\n")}\n`);
    });
    await new Promise<void>((resolve) => this.server?.listen(port, "127.0.0.1", resolve));
    return `127.0.0.1:${port}`;
  }

  flip(deployment: string): void {
    this.failing.add(deployment);
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

export function rulesYaml(forSeconds: number, evalSeconds: number): string {
  return [
    "groups:",
    "  - name: agent-canary-bench",
    `    interval: ${evalSeconds}s`,
    "    rules:",
    "      - alert: AgentCanaryBenchGateFailing",
    "        expr: bench_gate_failing > 0",
    `        for: ${forSeconds}s`,
    "        labels: { action: rollback, severity: critical }",
    "        annotations: { summary: the canary fails a gate }",
    "",
  ].join("\n");
}

export function alertmanagerYaml(receiverUrl: string, groupWaitSeconds: number): string {
  return [
    "route:",
    "  receiver: agent-canary",
    "  group_by: [deployment]",
    `  group_wait: ${groupWaitSeconds}s`,
    "  group_interval: 30s",
    "  repeat_interval: 1h",
    "receivers:",
    "  - name: agent-canary",
    "    webhook_configs:",
    `      - url: ${receiverUrl}/hooks/alertmanager`,
    "        send_resolved: true",
    "        http_config:",
    "          authorization: { type: Bearer, credentials: " + JSON.stringify(TOKEN) + " }",
    "",
  ].join("\n");
}

export async function writeRules(yaml: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "bench-e2e-rules-"));
  const file = join(dir, "rules.yml");
  await writeFile(file, yaml);
  return file;
}

/** The receiver on a FileStore, with hooks noting when each deployment's notification arrived and when its rollback was durable. */
export async function timedReceiver(deployments: readonly string[]): Promise<{ receiver: Receiver; url: string; arrived: Map<string, number>; durable: Map<string, number> }> {
  const store: RolloutStore = new FileStore({ dir: await mkdtemp(join(tmpdir(), "bench-e2e-state-")) });
  for (const deployment of deployments) {
    await transition(
      store,
      deployment,
      start({ deployment, baseline: { hash: "0123456789abcdef" }, canary: { hash: "fedcba9876543210" }, stages: [{ percent: 5, minDurationSeconds: 3600, minSessionsPerArm: 0 }] }),
      { by: "bench", reason: "e2e benchmark" },
    );
  }
  const durable = new Map<string, number>();
  // Wrap compareAndSet: it resolves only once the new state is durable, which is the end of the pipeline.
  const timed: RolloutStore = Object.assign(Object.create(store) as RolloutStore, {
    compareAndSet: async (...args: Parameters<RolloutStore["compareAndSet"]>) => {
      const result = await store.compareAndSet(...args);
      if (result.ok && result.state.canaryPercent === 0 && !durable.has(args[0])) durable.set(args[0], Date.now());
      return result;
    },
  });
  const config = ReceiverConfigSchema.parse({ port: await freePort(), auth: { bearerTokens: [TOKEN] } });
  const receiver = createReceiver({ config, store: timed, logger: false });
  const arrived = new Map<string, number>();
  receiver.app.addHook("preHandler", async (request) => {
    const body = request.body as { commonLabels?: { deployment?: string }; status?: string } | undefined;
    const d = body?.commonLabels?.deployment;
    if (d && body?.status === "firing" && !arrived.has(d)) arrived.set(d, Date.now());
  });
  const url = await receiver.listen();
  return { receiver, url, arrived, durable };
}
