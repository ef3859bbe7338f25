import { writeFile, mkdtemp } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseGatesConfig, RECORDED } from "@agent-canary/gate-rules";
import { PrometheusGateSource } from "@agent-canary/rollout";
import { startPrometheus, waitFor, type PrometheusHandle } from "@agent-canary/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/** A scrape target whose counters the test moves: sessions per arm, and a flag a test alert rule watches. */
const counters = { baseline: 0, canary: 0, loopFlag: 0 };
/** Two gates as users write them: cost must pass before 25%, loops before 50%. */
const config = parseGatesConfig("deployments: [shop]\ngates:\n  - {kind: cost_per_session, name: cost, passBeforePercent: 25}\n  - {kind: loop_rate, name: loops, passBeforePercent: 50}\n");
let target: Server;
let prometheus: PrometheusHandle;

function exposition(): string {
  const v = (group: string, rollout: string) =>
    `deployment="shop",version_group="${group}",version_hash="00000000000000${group === "canary" ? "bb" : "aa"}",rollout_id="${rollout}",canary_percent="5",assignment="split",outcome="completed"`;
  const gate = (rollout: string, name: string) => `deployment="shop",rollout_id="${rollout}",gate="${name}"`;
  return [
    "# TYPE agent_canary_sessions_total counter",
    `agent_canary_sessions_total{${v("baseline", "r1")}} ${counters.baseline}`,
    `agent_canary_sessions_total{${v("canary", "r1")}} ${counters.canary}`,
    // An earlier rollout's sessions: never counted for r1.
    `agent_canary_sessions_total{${v("canary", "r0")}} ${counters.canary * 7}`,
    "# TYPE test_loop_flag gauge",
    `test_loop_flag{deployment="shop",rollout_id="r0"} ${counters.loopFlag}`,
    `test_loop_flag{deployment="shop",rollout_id="r1"} ${counters.loopFlag}`,
    // As gate-rules records them for rollout r1: cost passing with its value and samples, loops undecided; r0's loops failing.
    `${RECORDED.verdict}{${gate("r1", "cost")}} -1`,
    `${RECORDED.value}{${gate("r1", "cost")}} 1.02`,
    `${RECORDED.canarySamples}{${gate("r1", "cost")}} 480`,
    `${RECORDED.baselineSamples}{${gate("r1", "cost")}} 9000`,
    `${RECORDED.verdict}{${gate("r1", "loops")}} 0`,
    `${RECORDED.verdict}{${gate("r0", "loops")}} 1`,
    "",
  ].join("\n");
}

beforeAll(async () => {
  target = createServer((_req, res) => {
    counters.baseline += 10;
    counters.canary += 1;
    res.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end(exposition());
  });
  await new Promise<void>((resolve) => target.listen(0, "127.0.0.1", resolve));
  const address = target.address();
  if (!address || typeof address === "string") throw new Error("no target address");
  const dir = await mkdtemp(join(tmpdir(), "agent-canary-promgate-"));
  const rules = join(dir, "rules.yml");
  await writeFile(
    rules,
    ["groups:", "  - name: test-gates", "    rules:", "      - alert: TestLoopRegression", "        expr: test_loop_flag > 0", "        labels:", "          action: rollback",
     "      - alert: TestCostSlowRegression", "        expr: test_loop_flag{rollout_id=\"r1\"} > 0", "        for: 1h", "        labels:", "          action: hold", ""].join("\n"),
  );
  prometheus = await startPrometheus({ scrapeTargets: [`127.0.0.1:${address.port}`], rulesFiles: [rules] });
});
afterAll(async () => {
  await prometheus?.stop();
  await new Promise((resolve) => target?.close(resolve));
});

describe("PrometheusGateSource against a real Prometheus", () => {
  const query = (rolloutId: string | null, sinceMs = 0) => ({ deployment: "shop", rolloutId, since: new Date(Date.now() - sinceMs), now: new Date() });

  it("reads each gate's verdict of this rollout only, with its pass rule, value and samples", async () => {
    const source = new PrometheusGateSource({ url: prometheus.url, config });
    const report = await waitFor(
      async () => {
        const r = await source.report(query("r1", 60_000));
        return r.verdicts.some((v) => v.verdict === "passing") ? r : undefined;
      },
      { what: "the recorded verdicts scraped" },
    );
    expect(report.rolloutId).toBe("r1");
    // The preset's other gates come along (user gates extend it); these two are the ones the series name.
    expect(report.verdicts.filter((v) => v.gate === "cost" || v.gate === "loops")).toEqual([
      { gate: "cost", verdict: "passing", action: "rollback", passBeforePercent: 25, value: 1.02, samples: { canary: 480, baseline: 9000 }, minSamples: 50 },
      // r0's failing loops verdict is not r1's.
      expect.objectContaining({ gate: "loops", verdict: "undecided", passBeforePercent: 50 }),
    ]);
    expect(report.values).toEqual({ cost: 1.02 });
    // A rollout the rules have not seen: every gate undecided, saying why.
    const unseen = await source.report(query("r9"));
    expect(unseen.verdicts.length).toBe(config.gates.length);
    expect(unseen.verdicts.every((v) => v.verdict === "undecided")).toBe(true);
    expect(unseen.verdicts[0]?.reason).toMatch(/no verdict series for this rollout/);
  });

  it("counts this rollout's sessions per arm since the stage start and reports firing gates with their rollout", async () => {
    const source = new PrometheusGateSource({ url: prometheus.url, config });
    const since = new Date();
    const counted = await waitFor(
      async () => {
        const report = await source.report({ ...query("r1"), since });
        return report.sessions.baseline >= 30 ? report : undefined;
      },
      { what: "sessions counted" },
    );
    // Baseline gets ten sessions per scrape and canary one (r0's canary seven): only r1's are counted.
    expect(counted.sessions.canary).toBeGreaterThan(0);
    expect(counted.sessions.baseline).toBeGreaterThan(counted.sessions.canary * 5);
    expect(counted.firing).toEqual([]);

    counters.loopFlag = 1;
    const firing = await waitFor(
      async () => {
        const report = await source.report({ ...query("r1"), since });
        return report.firing.length > 1 ? report.firing : undefined;
      },
      { what: "gate firing" },
    );
    // One alert per rollout: the controller keeps only its own (see evidence.ts).
    expect(firing.map((g) => [g.name, g.action, g.rolloutId]).sort()).toEqual([
      ["TestLoopRegression", "rollback", "r0"],
      ["TestLoopRegression", "rollback", "r1"],
    ]);
    const other = await source.report({ deployment: "billing", rolloutId: "r1", since, now: new Date() });
    expect(other).toMatchObject({ firing: [], pending: [], sessions: { baseline: 0, canary: 0 } });
  });

  it("reports gates still pending (their `for` not passed)", async () => {
    const source = new PrometheusGateSource({ url: prometheus.url, config });
    counters.loopFlag = 1;
    const report = await waitFor(
      async () => {
        const r = await source.report(query("r1", 60_000));
        return r.pending?.length ? r : undefined;
      },
      { what: "a pending alert" },
    );
    expect(report.pending).toMatchObject([{ name: "TestCostSlowRegression", action: "hold" }]);
    expect(report.firing.map((g) => g.name)).not.toContain("TestCostSlowRegression");
  });

  it("names the field of a reply that is not the Prometheus query API's, and the flag to check", async () => {
    // What a Prometheus-compatible server that answers another shape (here a result that is
    // not a list) sends; the injected fetch is the option users give for proxies.
    const reply = { status: "success", data: { resultType: "vector", result: { shop: 1 } } };
    const source = new PrometheusGateSource({ url: "http://prometheus.test:9090", config, fetch: async () => Response.json(reply) });
    await expect(source.report(query("r1"))).rejects.toThrow(
      /^Prometheus at http:\/\/prometheus\.test:9090 sent an unexpected reply to .+ at "data\.result": must be a list \(\[a, b\], or one "- item" per line\), not a mapping \(is --prometheus-url the Prometheus HTTP API/,
    );
  });

  it("fails with the Prometheus error, so the controller waits instead of advancing", async () => {
    const source = new PrometheusGateSource({ url: "http://127.0.0.1:9", config });
    await expect(source.report(query("r1"))).rejects.toThrow();
  });
});
