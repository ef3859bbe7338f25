import { afterAll, describe, expect, it } from "vitest";
import { startAlertmanager, startPrometheus, startRedis, waitFor, type ServerHandle } from "@agent-canary/testkit";

// The integration suites rely on these launchers; if the Debian servers are
// missing or a flag changed between versions, this fails first and says which.
describe("real servers on loopback", () => {
  const started: ServerHandle[] = [];
  afterAll(async () => {
    await Promise.all(started.map((s) => s.stop()));
  });

  it("starts redis-server and answers PING", async () => {
    const redis = await startRedis();
    started.push(redis);
    expect(redis.redisUrl).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
    expect(redis.process.exitCode).toBeNull();
  });

  it("starts Prometheus and evaluates PromQL", async () => {
    const prometheus = await startPrometheus();
    started.push(prometheus);
    const [sample] = await prometheus.query("1 + 1");
    expect(sample?.value).toBe(2);
  });

  it("starts Alertmanager and accepts an alert through its API", async () => {
    const alertmanager = await startAlertmanager(
      ["route:", "  receiver: blackhole", "receivers:", "  - name: blackhole", ""].join("\n"),
    );
    started.push(alertmanager);
    await alertmanager.postAlerts([{ labels: { alertname: "TestkitProbe", deployment: "demo" } }]);
    const alerts = await waitFor(async () => {
      const response = await fetch(`${alertmanager.url}/api/v2/alerts`);
      const body = (await response.json()) as Array<{ labels: Record<string, string> }>;
      return body.length > 0 ? body : undefined;
    });
    expect(alerts[0]?.labels.alertname).toBe("TestkitProbe");
  });
});
