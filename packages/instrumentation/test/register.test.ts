import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { OptionsError, register, session } from "@agent-canary/instrumentation";
import { makeTempDir } from "@agent-canary/testkit";
import { describe, expect, it } from "vitest";
import { BASELINE } from "./helpers/versions.js";

describe("register()", () => {
  it("rejects invalid options, naming each option and the fix, and changes nothing", () => {
    const attempt = () =>
      register({
        deployment: "Support Agent!",
        versions: { baseline: { ...BASELINE, model: "" } },
        guards: { budgetUsd: -1, loop: { repeats: 1 } },
        metrics: { port: 70000 },
        prices: { "gpt-x": { input: "cheap" as unknown as number, output: 1 } },
      });
    expect(attempt).toThrow(OptionsError);
    let message = "";
    try {
      attempt();
    } catch (error) {
      message = (error as Error).message;
    }
    for (const path of ["deployment", "versions.baseline.model", "guards.budgetUsd", "guards.loop.repeats", "metrics.port", "prices.gpt-x.input"]) {
      expect(message).toContain(`${path}:`);
    }
    expect(message).toContain('model is required, e.g. "gpt-4o-mini"');
    // Nothing was registered: session() still says so.
    return expect(session({ id: "x" }, () => 1)).rejects.toThrow(/not registered/);
  });

  it("opens the store from a spec, serves metrics, and shuts down cleanly", async () => {
    const dir = await makeTempDir("instr-register");
    const handle = register({
      deployment: "support-agent",
      versions: { baseline: BASELINE },
      store: `file:${dir}`,
      stateTimeoutMs: 100,
      traces: { exporter: "none" },
      metrics: { port: 0, host: "127.0.0.1" },
      logger: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
    });
    expect(() => register({ deployment: "other", versions: { baseline: BASELINE } })).toThrow(/already registered/);
    const { metricsUrl } = await handle.ready;
    expect(await session({ id: "r-1" }, (s) => s.group)).toBe("baseline");
    const scrape = await (await fetch(metricsUrl!)).text();
    expect(scrape).toContain('agent_canary_routing_failures_total{deployment="support-agent",reason="missing"');
    await handle.shutdown();
    await expect(fetch(metricsUrl!)).rejects.toThrow();
    await expect(session({ id: "r-2" }, (s) => s.group)).rejects.toThrow(/not registered/);
  });

  it("names a store spec it cannot open", () => {
    expect(() => register({ deployment: "support-agent", versions: { baseline: BASELINE }, store: "mysql://db" })).toThrow(/store: .*neither file:<dir> nor redis/);
  });

  it("shuts down without rejecting when the collector refuses the final export, and logs why", async () => {
    // A collector that answers every export with 400: the SDK's flush fails at once (no retries).
    const collector = createServer((req, res) => {
      req.resume();
      res.writeHead(400).end("bad request");
    });
    await new Promise<void>((resolve) => collector.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
    const warnings: string[] = [];
    const handle = register({
      deployment: "support-agent",
      versions: { baseline: BASELINE },
      traces: { endpoint: `${url}/v1/traces` },
      metrics: { exporter: "otlp", endpoint: `${url}/v1/metrics` },
      logger: { debug: () => undefined, info: () => undefined, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) },
    });
    try {
      await session({ id: "s-1" }, () => "done");
      await expect(handle.shutdown()).resolves.toBeUndefined();
      expect(warnings.join("\n")).toMatch(/shutdown could not finish cleanly/);
    } finally {
      await new Promise((resolve) => collector.close(resolve));
    }
  });
});
