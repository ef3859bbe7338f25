import { writeFile, mkdtemp } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RECORDED } from "@agent-canary/gate-rules";
import { PrometheusGateSource } from "@agent-canary/rollout";
import { startPrometheus, waitFor, type PrometheusHandle } from "@agent-canary/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/** A scrape target whose counters the test moves: sessions per arm, and a flag a test alert rule watches. */
const counters = { baseline: 0, canary: 0, loopFlag: 0 };
let target: Server;
let prometheus: PrometheusHandle;

function exposition(): string {
  const v = (group: string) => `deployment="shop",version_group="${group}",version_hash="00000000000000${group === "canary" ? "bb" : "aa"}",outcome="completed"`;
  return [
    "# TYPE agent_canary_sessions_total counter",
    `agent_canary_sessions_total{${v("baseline")}} ${counters.baseline}`,
    `agent_canary_sessions_total{${v("canary")}} ${counters.canary}`,
    "# TYPE test_loop_flag gauge",
    `test_loop_flag{deployment="shop"} ${counters.loopFlag}`,
    // As gate-rules records them: samples for every gate, a statistic only once a gate can judge.
    `${RECORDED.samples}{deployment="shop",rollout_id="r1",canary_percent="5",version_group="canary",gate="cost"} 80`,
    `${RECORDED.samples}{deployment="shop",rollout_id="r1",canary_percent="5",version_group="canary",gate="loops"} 80`,
    `${RECORDED.statistic}{deployment="shop",rollout_id="r1",gate="cost"} 0.4`,
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
     "      - alert: TestCostSlowRegression", "        expr: test_loop_flag > 0", "        for: 1h", "        labels:", "          action: hold", ""].join("\n"),
  );
  prometheus = await startPrometheus({ scrapeTargets: [`127.0.0.1:${address.port}`], rulesFiles: [rules] });
});
afterAll(async () => {
  await prometheus?.stop();
  await new Promise((resolve) => target?.close(resolve));
});

describe("PrometheusGateSource against a real Prometheus", () => {
  it("counts sessions per arm since the stage start and reports firing gates with their action", async () => {
    const source = new PrometheusGateSource({ url: prometheus.url });
    const since = new Date();
    const counted = await waitFor(
      async () => {
        const report = await source.report({ deployment: "shop", since, now: new Date() });
        return report.sessions.baseline >= 30 ? report : undefined;
      },
      { what: "sessions counted" },
    );
    // Baseline gets ten sessions per scrape and canary one, so the split shows in the counts.
    expect(counted.sessions.canary).toBeGreaterThan(0);
    expect(counted.sessions.baseline).toBeGreaterThan(counted.sessions.canary * 5);
    expect(counted.firing).toEqual([]);

    counters.loopFlag = 1;
    const firing = await waitFor(
      async () => {
        const report = await source.report({ deployment: "shop", since, now: new Date() });
        return report.firing.length > 0 ? report.firing : undefined;
      },
      { what: "gate firing" },
    );
    expect(firing).toMatchObject([{ name: "TestLoopRegression", action: "rollback" }]);
    const other = await source.report({ deployment: "billing", since, now: new Date() });
    expect(other).toEqual({ firing: [], pending: [], undecided: [], sessions: { baseline: 0, canary: 0 } });
  });

  it("reports gates still pending (their `for` not passed) and gates without a statistic yet", async () => {
    const source = new PrometheusGateSource({ url: prometheus.url });
    counters.loopFlag = 1;
    const report = await waitFor(
      async () => {
        const r = await source.report({ deployment: "shop", since: new Date(Date.now() - 60_000), now: new Date() });
        return r.pending?.length && r.undecided?.length ? r : undefined;
      },
      { what: "a pending alert and an undecided gate" },
    );
    expect(report.pending).toMatchObject([{ name: "TestCostSlowRegression", action: "hold" }]);
    expect(report.firing.map((g) => g.name)).not.toContain("TestCostSlowRegression");
    expect(report.undecided).toEqual(["loops"]);
  });

  it("fails with the Prometheus error, so the controller waits instead of advancing", async () => {
    const source = new PrometheusGateSource({ url: "http://127.0.0.1:9" });
    await expect(source.report({ deployment: "shop", since: new Date(), now: new Date() })).rejects.toThrow();
  });
});
