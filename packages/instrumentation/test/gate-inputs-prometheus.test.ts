import { LoopDetectedError, register } from "@agent-canary/instrumentation";
import { FileStore } from "@agent-canary/rollout-state";
import { makeTempDir, type PrometheusHandle, startPrometheus, waitFor } from "@agent-canary/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { recordingLogger } from "./helpers/logger.js";
import { DEPLOYMENT, patchState, startRollout } from "./helpers/state.js";
import { BASELINE, CANARY } from "./helpers/versions.js";

/**
 * The reason gate inputs exist from 0: a counter series that first appears at
 * 1 loses that 1 to increase(). On a real Prometheus scraping the agent's own
 * endpoint, a fresh rollout's first looping session must count as 1.
 */
describe("gate inputs on a real Prometheus", () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it("counts the first event of a new rollout's series, and drops the series once the rollout has ended", async () => {
    const dir = await makeTempDir("instr-gate-prom");
    const writer = new FileStore({ dir });
    cleanups.push(() => writer.close());
    const first = await startRollout(writer, 100);
    const { logger } = recordingLogger();
    const handle = register({
      deployment: DEPLOYMENT,
      versions: { baseline: BASELINE, canary: CANARY },
      store: `file:${dir}`,
      traces: { exporter: "none" },
      metrics: { port: 0, host: "127.0.0.1" },
      retainEndedRolloutSeconds: 0,
      logger,
    });
    cleanups.push(() => handle.shutdown());
    const { metricsUrl } = await handle.ready;
    await waitFor(() => handle.runtime.rolloutState?.rolloutId === first.rolloutId, { what: "the agent to see the rollout" });
    const prometheus: PrometheusHandle = await startPrometheus({ scrapeTargets: [new URL(metricsUrl!).host], scrapeIntervalSeconds: 1 });
    cleanups.push(() => prometheus.stop());

    const series = `agent_canary_looping_sessions_total{rollout_id="${first.rolloutId}",version_group="canary",assignment="split",canary_percent="100"}`;
    const value = async (expr: string) => (await prometheus.query(expr))[0]?.value;
    // Scraped at 0 before anything happened.
    await waitFor(async () => (await value(series)) === 0, { what: "Prometheus to scrape the series at 0", timeoutMs: 60_000 });

    const looped = await handle
      .session({ id: "looping-1" }, async (s) => {
        for (let i = 0; i < 3; i++) await s.tool("search_kb", { query: "refund" }, () => "nothing found");
      })
      .catch((error: unknown) => error);
    expect(looped).toBeInstanceOf(LoopDetectedError);
    await waitFor(async () => (await value(series)) === 1, { what: "Prometheus to scrape the loop", timeoutMs: 60_000 });
    const increase = await value(`increase(${series}[5m])`);
    // A series born at 1 would read 0 here.
    expect(increase).toBeGreaterThanOrEqual(0.99);
    expect(increase).toBeLessThan(1.5);

    // Another rollout takes over: the ended one's series leave the endpoint once scraped (retention 0 here).
    await patchState(writer, { rolloutId: "20991231T000000Z-later000" });
    await waitFor(async () => {
      const scrape = await (await fetch(metricsUrl!)).text();
      return scrape.includes('rollout_id="20991231T000000Z-later000"') && !scrape.includes(`rollout_id="${first.rolloutId}"`);
    }, { what: "the ended rollout's series to be dropped", timeoutMs: 60_000 });
  });
});
