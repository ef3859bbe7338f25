/**
 * End to end on real Prometheus and Alertmanager: regression onset to canary 0,
 * split by stage. node src/e2e/main.ts [--runs 10] [--scrape 1] [--eval 1] [--for 5] [--group-wait 0]
 */
import { parseArgs } from "node:util";
import { startAlertmanager, startPrometheus } from "@agent-canary/testkit";
import { fmt, table, writeResult } from "../lib/report.ts";
import { median, quantile } from "../lib/stats.ts";
import { alertmanagerYaml, FlipMetrics, rulesYaml, timedReceiver, writeRules } from "./pipeline.ts";

interface Timeline {
  onset: number;
  scraped: number;
  pending: number;
  firing: number;
  arrived: number;
  durable: number;
}

interface PromAlert {
  labels: Record<string, string>;
  state: "pending" | "firing";
  activeAt: string;
}

async function alerts(promUrl: string): Promise<PromAlert[]> {
  const body = (await (await fetch(`${promUrl}/api/v1/alerts`)).json()) as { data?: { alerts?: PromAlert[] } };
  return body.data?.alerts ?? [];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One regression: flip the series at a random phase of the scrape cycle, then watch every stage until the rollback is durable. */
interface RunContext {
  metrics: FlipMetrics;
  promUrl: string;
  arrived: Map<string, number>;
  durable: Map<string, number>;
  scrapeMs: number;
  /** The \`for\` rounded up to whole evaluations: Prometheus fires on the first evaluation at least \`for\` after activeAt. */
  firesAfterMs: number;
}

async function once(deployment: string, ctx: RunContext): Promise<Timeline> {
  await sleep(Math.random() * ctx.scrapeMs);
  const onset = Date.now();
  ctx.metrics.flip(deployment);
  let pending = 0;
  const deadline = onset + 120_000;
  while (!ctx.durable.has(deployment)) {
    if (Date.now() > deadline) throw new Error(`no rollback for ${deployment} within 120 s`);
    const mine = (await alerts(ctx.promUrl)).find((a) => a.labels.deployment === deployment);
    // activeAt is the evaluation that first saw the condition: Prometheus's own clock, exact.
    if (mine && !pending) pending = Date.parse(mine.activeAt);
    await sleep(20);
  }
  return {
    onset,
    scraped: ctx.metrics.firstServedFailing.get(deployment) ?? Number.NaN,
    pending,
    // Evaluations run on a fixed grid from activeAt, so the firing evaluation's time is exact, unlike a poll.
    firing: pending ? pending + ctx.firesAfterMs : Number.NaN,
    arrived: ctx.arrived.get(deployment) ?? Number.NaN,
    durable: ctx.durable.get(deployment) ?? Number.NaN,
  };
}

const STAGES: { label: string; from: keyof Timeline; to: keyof Timeline; note: string }[] = [
  { label: "scrape", from: "onset", to: "scraped", note: "until Prometheus scraped the flipped series (≤ 1 scrape interval)" },
  { label: "rule evaluation", from: "scraped", to: "pending", note: "until an evaluation saw it (alert pending; ≤ 1 evaluation interval)" },
  { label: "alert `for`", from: "pending", to: "firing", note: "pending to the firing evaluation: `for` rounded up to whole evaluations (activeAt + ⌈for/interval⌉ × interval)" },
  { label: "Alertmanager", from: "firing", to: "arrived", note: "firing evaluation → Prometheus notifier → Alertmanager → group_wait → webhook arrives at the receiver" },
  { label: "receiver", from: "arrived", to: "durable", note: "validate, authorise, compare-and-set, fsync: canary 0% is durable" },
  { label: "total", from: "onset", to: "durable", note: "regression onset to canary 0%" },
];

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { runs: { type: "string", default: "10" }, scrape: { type: "string", default: "1" }, eval: { type: "string", default: "1" }, for: { type: "string", default: "5" }, "group-wait": { type: "string", default: "0" } },
  });
  const [runs, scrape, evaluation, forS, groupWait] = [values.runs, values.scrape, values.eval, values.for, values["group-wait"]].map(Number) as [number, number, number, number, number];
  const deployments = Array.from({ length: runs }, (_, i) => `bench-e2e-${i}`);
  const metrics = new FlipMetrics();
  const target = await metrics.listen();
  const { receiver, url, arrived, durable } = await timedReceiver(deployments);
  const am = await startAlertmanager(alertmanagerYaml(url, groupWait));
  const prom = await startPrometheus({ rulesFiles: [await writeRules(rulesYaml(forS, evaluation))], scrapeTargets: [target], scrapeIntervalSeconds: scrape, evaluationIntervalSeconds: evaluation, alertmanagers: [am.url.replace(/^https?:\/\//, "")] });
  const timelines: Timeline[] = [];
  try {
    await sleep(5 * Math.max(scrape, evaluation) * 1000); // let the first scrapes and evaluations settle
    const firesAfterMs = Math.ceil(forS / evaluation) * evaluation * 1000;
    for (const d of deployments) timelines.push(await once(d, { metrics, promUrl: prom.url, arrived, durable, scrapeMs: scrape * 1000, firesAfterMs }));
  } finally {
    await Promise.all([prom.stop(), am.stop(), receiver.close(), metrics.close()]);
  }
  const rows = STAGES.map((s) => {
    const ms = timelines.map((t) => t[s.to] - t[s.from]);
    return [s.label, fmt(median(ms) / 1000, 2), fmt(quantile(ms, 1) / 1000, 2), s.note];
  });
  writeResult(
    "e2e",
    "End to end: regression onset to canary 0 on real Prometheus and Alertmanager",
    `Prometheus (scrape ${scrape}s, rule evaluation ${evaluation}s, alert \`for: ${forS}s\`), Alertmanager (group_wait ${groupWait}s, webhook with a bearer token) and the agent-canary receiver on a FileStore, all real processes on loopback; ${runs} regressions, each on its own deployment (its own alert group). ` +
      `The gate condition is a series that flips from 0 to 1, so the figures are the pipeline's own latency; how many sessions a gate needs before its condition turns true is in decisions.md. ` +
      `Each stage scales with its setting: scrape ≤ 1 scrape interval, evaluation ≤ 1 evaluation interval, \`for\` = for rounded up to evaluations, Alertmanager ≈ group_wait. With the recommended preset's settings (1m evaluation, \`for: 3m\`, group_wait 0s) and a 15 s scrape, expect roughly 15 s + 60 s + 180 s + the sub-second remainder measured here.\n\n` +
      table(["stage", "median s", "max s", "what"], rows),
  );
}

await main();
