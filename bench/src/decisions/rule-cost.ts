/**
 * What the gates' recording rules cost a real Prometheus: every rule group
 * evaluated over a rollout seven days old (the look-back full), ten agent pods
 * exporting their counters live, and an older, finished rollout still inside the
 * look-back. The history of the per-evaluation increments is backfilled with
 * promtool, as if the rules had been running for a week; the raw counters are
 * served live and scraped. Figures: each group's evaluation time (Prometheus'
 * own prometheus_rule_group_last_duration_seconds), and the same one-day sum
 * over recorded increments against the baseline it replaces, increase() over
 * the raw per-pod counters, measured on the same server.
 * Run alone: node src/decisions/rule-cost.ts [--pods 10] [--minutes 5]
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync, createWriteStream } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { generateRuleFiles, parseGatesConfig, RECORDED, RULE_FILES } from "@agent-canary/gate-rules";
import { startPrometheus } from "@agent-canary/testkit";
import { fmt, table, writeResult } from "../lib/report.ts";
import { median } from "../lib/stats.ts";

const PERCENTS = ["1", "5", "25", "50"];
const GROUPS = ["baseline", "canary"] as const;
const OUTCOMES = ["completed", "failed", "error", "loop_detected"];
const QUANTITIES = ["cost", "log_cost", "turns", "duration", "quality"];
const ACTIVE = "20261122T000000Z-c0ffee00";
const FINISHED = "20261119T000000Z-deadbeef";
const DAY = 86_400;

/** Labels of one stratum arm of a rollout. */
const stratum = (rollout: string, percent: string, group: string) => `deployment="support-agent",rollout_id="${rollout}",canary_percent="${percent}",version_group="${group}"`;

/** Expected sessions per minute of one stratum arm (100 a minute over four strata at their percents). */
const perMinute = (percent: string, group: string) => (100 / PERCENTS.length) * (group === "canary" ? Number(percent) / 100 : 1 - Number(percent) / 100);

/** The increments the input rules would have recorded, once a minute over [from, to) (only those above zero). */
function* incrementLines(rollout: string, from: number, to: number): Generator<string> {
  for (let t = from; t < to; t += 60) {
    for (const percent of PERCENTS) {
      for (const group of GROUPS) {
        const n = perMinute(percent, group);
        const labels = stratum(rollout, percent, group);
        const shares = { completed: 0.92, failed: 0.065, error: 0.01, loop_detected: 0.005 } as Record<string, number>;
        for (const o of OUTCOMES) if ((t / 60 + o.length) % Math.max(1, Math.round(1 / (n * (shares[o] ?? 0)))) === 0) yield `${RECORDED.sessionsIncrement}{${labels},outcome="${o}"} ${n * (shares[o] ?? 0)} ${t}`;
        if ((t / 60) % Math.max(1, Math.round(1 / (n * 0.005))) === 0) yield `${RECORDED.loopingIncrement}{${labels}} ${n * 0.005} ${t}`;
        if ((t / 60) % Math.max(1, Math.round(1 / (n * 0.002))) === 0) yield `${RECORDED.unsafeIncrement}{${labels}} ${n * 0.002} ${t}`;
        for (const q of QUANTITIES) {
          yield `${RECORDED.observationsIncrement}{${labels},quantity="${q}"} ${n} ${t}`;
          yield `${RECORDED.valueIncrement}{${labels},quantity="${q}"} ${n * 2} ${t}`;
          yield `${RECORDED.valueSquaredIncrement}{${labels},quantity="${q}"} ${n * 5} ${t}`;
        }
      }
    }
  }
}

/** The raw per-pod session counters for the last day, once a minute: the baseline reads these with increase(). */
function* rawLines(pods: number, from: number, to: number): Generator<string> {
  for (let t = from; t < to; t += 60) {
    const minutes = (t - from) / 60;
    for (let pod = 0; pod < pods; pod++) {
      for (const percent of PERCENTS) {
        for (const group of GROUPS) {
          const labels = `${stratum(ACTIVE, percent, group)},assignment="split",version_hash="h",pod="history-${pod}"`;
          for (const o of OUTCOMES) yield `agent_canary_sessions_total{${labels},outcome="${o}"} ${Math.floor((minutes * perMinute(percent, group)) / pods)} ${t}`;
        }
      }
    }
  }
}

async function writeLines(path: string, sources: Iterable<string>[]): Promise<void> {
  const out = createWriteStream(path);
  for (const source of sources) for (const line of source) if (!out.write(`${line}\n`)) await new Promise<void>((resolve) => out.once("drain", () => resolve()));
  out.write("# EOF\n");
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
}

/** A live exporter: every pod's counters for both rollouts, growing with each scrape as agents' do. */
function exporter(pods: number): { port: Promise<number>; close: () => void } {
  const started = Date.now();
  const server = createServer((_req, res) => {
    const minutes = (Date.now() - started) / 60_000;
    const lines: string[] = [];
    for (const rollout of [ACTIVE, FINISHED]) {
      const grow = rollout === ACTIVE ? minutes : 0;
      for (let pod = 0; pod < pods; pod++) {
        for (const percent of PERCENTS) {
          for (const group of GROUPS) {
            const n = (grow * perMinute(percent, group)) / pods;
            const labels = `${stratum(rollout, percent, group)},assignment="split",version_hash="h",pod="${pod}"`;
            for (const o of OUTCOMES) lines.push(`agent_canary_sessions_total{${labels},outcome="${o}"} ${Math.floor(n * (o === "completed" ? 0.92 : 0.03))}`);
            lines.push(`agent_canary_looping_sessions_total{${labels}} ${Math.floor(n * 0.005)}`, `agent_canary_unsafe_sessions_total{${labels}} ${Math.floor(n * 0.002)}`);
            for (const q of QUANTITIES) {
              lines.push(`agent_canary_gate_observations_total{${labels},quantity="${q}"} ${n}`);
              lines.push(`agent_canary_gate_value_total{${labels},quantity="${q}"} ${2 * n}`);
              lines.push(`agent_canary_gate_value_squared_total{${labels},quantity="${q}"} ${5 * n}`);
            }
          }
        }
      }
    }
    res.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end(`${lines.join("\n")}\n`);
  });
  const port = new Promise<number>((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port)));
  return { port, close: () => server.close() };
}

async function timedQuery(url: string, expr: string, times: number): Promise<number> {
  const ms: number[] = [];
  for (let i = 0; i < times; i++) {
    const t = performance.now();
    const res = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query: expr })}`);
    const body = (await res.json()) as { status: string; error?: string };
    if (body.status !== "success") throw new Error(`${expr}: ${body.error}`);
    ms.push(performance.now() - t);
  }
  return median(ms);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { pods: { type: "string", default: "10" }, minutes: { type: "string", default: "5" } } });
  const pods = Number(values.pods);
  const dir = mkdtempSync(join(tmpdir(), "rule-cost-"));
  const now = Math.floor(Date.now() / 60_000) * 60;
  const source = join(dir, "history.om");
  await writeLines(source, [incrementLines(ACTIVE, now - 7 * DAY, now - 120), incrementLines(FINISHED, now - 7 * DAY, now - 4 * DAY), rawLines(pods, now - DAY, now - 120)]);
  const created = spawnSync("promtool", ["tsdb", "create-blocks-from", "openmetrics", "--max-block-duration=24h", source, join(dir, "data")], { encoding: "utf8" });
  if (created.status !== 0) throw new Error(`backfill failed: ${created.stderr}`);
  rmSync(source);
  const config = parseGatesConfig("deployments: [support-agent]\nlookback: 7d\nevaluationInterval: 20s\nrateRange: 1m\n", "rule-cost.yaml");
  const rulesFiles: string[] = [];
  for (const f of generateRuleFiles(config).filter((x) => x.path === RULE_FILES.recording)) {
    const path = join(dir, "recording.yaml");
    writeFileSync(path, f.content);
    rulesFiles.push(path);
  }
  const live = exporter(pods);
  const prometheus = await startPrometheus({ storagePath: join(dir, "data"), rulesFiles, scrapeTargets: [`127.0.0.1:${await live.port}`], scrapeIntervalSeconds: 5, evaluationIntervalSeconds: 20 });
  try {
    const durations = new Map<string, number[]>();
    const deadline = Date.now() + Number(values.minutes) * 60_000;
    // Let two evaluations settle, then read each group's last duration after every evaluation.
    await new Promise((r) => setTimeout(r, 45_000));
    while (Date.now() < deadline) {
      // Prometheus' own metrics (it does not scrape itself here): the last evaluation of each group.
      const text = await (await fetch(`${prometheus.url}/metrics`)).text();
      for (const m of text.matchAll(/^prometheus_rule_group_last_duration_seconds\{rule_group="([^"]+)"\} (\S+)$/gm)) {
        const group = (m[1] ?? "").split(";").at(-1) ?? "";
        durations.set(group, [...(durations.get(group) ?? []), Number(m[2]) * 1000]);
      }
      await new Promise((r) => setTimeout(r, 20_000));
    }
    const series = (await prometheus.query("count({__name__=~\"agent_canary_.*\"})"))[0]?.value ?? 0;
    const increments = (await prometheus.query(`count({__name__=~"rollout_stratum:.*:increment"})`))[0]?.value ?? 0;
    // count_over_time drops the name, so one increment family at a time.
    const families = [RECORDED.sessionsIncrement, RECORDED.loopingIncrement, RECORDED.unsafeIncrement, RECORDED.observationsIncrement, RECORDED.valueIncrement, RECORDED.valueSquaredIncrement];
    let samples = 0;
    for (const name of families) samples += (await prometheus.query(`sum(count_over_time(${name}[7d]))`))[0]?.value ?? 0;
    const groups = [...durations].map(([group, ms]) => [group, fmt(median(ms), 1), fmt(Math.max(...ms), 1), String(ms.length)]);
    const total = [...durations.values()].reduce((sum, ms) => sum + median(ms), 0);
    const by = "by (deployment, rollout_id, canary_percent, version_group, outcome)";
    const ours = await timedQuery(prometheus.url, `sum_over_time(${RECORDED.sessionsIncrement}{rollout_id="${ACTIVE}"}[1d])`, 15);
    const baseline = await timedQuery(prometheus.url, `sum ${by} (increase(agent_canary_sessions_total{rollout_id="${ACTIVE}",pod=~"history-.*"}[1d]))`, 15);
    writeResult(
      "rule-cost",
      "Rule evaluation cost on a real Prometheus",
      `Prometheus 2.42 (the distribution's build), the recommended gates' recording rules (lookback 7d; evaluated every 20 s here so a few minutes give many evaluations: the cost of one evaluation does not depend on the interval). ` +
        `One deployment, ${pods} pods exporting their counters live (${fmt(series, 0)} raw agent_canary series, both rollouts), a rollout seven days old in four strata (1, 5, 25, 50%) and a finished one whose increments end four days ago; ` +
        `${fmt(increments, 0)} increment series with a recent sample and ${fmt(samples, 0)} increment samples over the look-back (backfilled once a minute, as the rules record them at the default interval; only increments above 0 are kept).\n\n` +
        `## Per rule group (Prometheus' prometheus_rule_group_last_duration_seconds)\n\n${table(["group", "median ms per evaluation", "max ms", "evaluations"], groups)}\n\n` +
        `All groups: ${fmt(total, 1)} ms per evaluation, so ${fmt(total / 600, 2)}% of one core at the default 1-minute interval for this deployment (on a shared machine: read it as an upper figure). The input group's sums over the 7-day look-back are the bulk; each gate group reads only per-rollout series. ` +
        `sum_over_time costs in proportion to the samples it adds, so the input group grows with the increment series inside the look-back (strata x arms x inputs x rollouts with sessions in it) and with the look-back itself (a 2-day look-back sums 2/7 as many), not with pods or the scrape rate: pods are summed before anything is recorded.\n\n` +
        `## Against the baseline it replaces (same server, same run, median of 15 instant queries)\n\n` +
        table(
          ["one day of sessions by outcome and stratum", "median ms"],
          [
            [`ours: sum_over_time over the recorded increments (8 strata-arms x 4 outcomes, one sample a minute)`, fmt(ours, 1)],
            [`baseline: sum by (...) (increase()) over the raw counters of ${pods} pods (one sample a minute here; a 15 s scrape holds 4x as many)`, fmt(baseline, 1)],
          ],
        ) +
        `\n\nRatio baseline / ours: ${fmt(baseline / ours, 1)}x.\n`,
    );
  } finally {
    await prometheus.stop();
    live.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
