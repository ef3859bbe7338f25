import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dashboardQueries, isPerGroupResult } from "./harness/dashboards.js";
import { DEPLOYMENT } from "./harness/gates-config.js";
import { expectDrain, expectRolledBackByAlert, rollBackThroughAlerts, type Regression } from "./harness/regression.js";
import { Slot } from "./harness/slot.js";

/**
 * A canary that writes four times the output tokens (about twice the cost per
 * session), through the whole product: the agent's metrics, Prometheus with
 * the generated rules, Alertmanager with the generated route, the receiver,
 * and the rollout state in Redis that the agent's router follows.
 */
describe("e2e: a canary that costs twice as much per session", () => {
  const slot = new Slot<Regression>("the cost regression run");

  beforeAll(async () => {
    slot.set(await rollBackThroughAlerts("cost regression", { tokenScale: 4 }, 11));
  });
  afterAll(async () => {
    await slot.current?.run.stop();
  });

  it("is rolled back by the cost gate's alert through Alertmanager and the receiver", async () => {
    await expectRolledBackByAlert(slot.get(), ["AgentCanaryCostGateFailed"]);
  });

  it("lets canary sessions in flight at the rollback finish on canary and sends new sessions to baseline", async () => {
    await expectDrain(slot.get());
  });

  it("has data in every dashboard panel, for both groups where the panel is per group", async () => {
    const { prometheus } = slot.get().run.stack;
    const queries = await dashboardQueries(new URL("../../dashboards", import.meta.url).pathname, {
      deployment: DEPLOYMENT,
      // The dashboard's "All" value: every rollout of the deployment.
      rollout_id: ".*",
      datasource: "prometheus",
      __rate_interval: "30s",
      __interval: "15s",
      __range: "5m",
    });
    expect(queries.length).toBeGreaterThan(0);
    const problems: string[] = [];
    for (const query of queries) {
      const samples = await prometheus.query(query.expr);
      const where = `${query.dashboard} / "${query.panel}" / ${query.refId}: ${query.expr}`;
      if (EMPTY_WHEN_HEALTHY.some((metric) => query.expr.includes(metric))) continue;
      if (samples.length === 0) problems.push(`no data: ${where}`);
      else if (isPerGroupResult(samples)) {
        const groups = new Set(samples.map((s) => s.metric.version_group));
        for (const group of ["baseline", "canary"]) if (!groups.has(group)) problems.push(`no ${group} series: ${where}`);
      }
    }
    console.log(`dashboards: ${queries.length} panel queries checked against Prometheus`);
    expect(problems).toEqual([]);
  });
});

/**
 * Counters of things that go wrong (routing failures, version mismatches,
 * unpriced models): a correct run never creates these series, so their panels
 * are rightly empty. Their queries still run above, so a PromQL error fails.
 */
const EMPTY_WHEN_HEALTHY = [
  "agent_canary_routing_failures_total",
  "agent_canary_version_mismatches_total",
  "agent_canary_unpriced_calls_total",
  // Gate alerts belong to a rollout: once the receiver has rolled it back they stop firing
  // (the rule mutes rollouts that are no longer current), so "Firing gates" is empty here;
  // the gate verdict panels keep the failing verdict.
  "ALERTS{",
];
