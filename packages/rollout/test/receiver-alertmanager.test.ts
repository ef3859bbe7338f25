import type { FileStore } from "@agent-canary/rollout-state";
import type { Receiver } from "@agent-canary/rollout";
import { startAlertmanager, waitFor, type AlertmanagerHandle } from "@agent-canary/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TOKEN, seedDeployment, startReceiver, tempStore } from "./helpers.js";

let store: FileStore;
let receiver: Receiver;
let url: string;
let alertmanager: AlertmanagerHandle;

function alertmanagerConfig(receiverUrl: string): string {
  return `
route:
  receiver: agent-canary
  group_by: [alertname, deployment]
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: agent-canary
    webhook_configs:
      - url: ${receiverUrl}/hooks/alertmanager
        send_resolved: true
        max_alerts: 0
        http_config:
          authorization:
            type: Bearer
            credentials: ${TOKEN}
`;
}

beforeAll(async () => {
  store = await tempStore();
  await seedDeployment(store, "shop");
  ({ receiver, url } = await startReceiver(store));
  alertmanager = await startAlertmanager(alertmanagerConfig(url));
});
afterAll(async () => {
  await alertmanager?.stop();
  await receiver?.close();
});

async function stateOverHttp() {
  const response = await fetch(`${url}/state?deployment=shop`, { headers: { authorization: `Bearer ${TOKEN}` } });
  return (await response.json()) as { canaryPercent: number; phase: string; revision: number };
}

describe("receiver with a real Alertmanager 0.25", () => {
  it("rolls back on a firing alert, and a resolved alert is recorded without restoring traffic", async () => {
    const labels = { alertname: "AgentCanaryCostRegression", deployment: "shop", action: "rollback", severity: "critical" };
    await alertmanager.postAlerts([{ labels, annotations: { summary: "cost per session up 3x" } }]);
    const rolledBack = await waitFor(async () => {
      const state = await stateOverHttp();
      return state.canaryPercent === 0 ? state : undefined;
    }, { what: "canary percent 0 after the alert" });
    expect(rolledBack.phase).toBe("rolled_back");
    const audit = await store.auditLog("shop");
    expect(audit.at(-1)).toMatchObject({ action: "rollback", by: expect.stringMatching(/^alertmanager:[0-9a-f]+$/) });

    // The same alert posted again is deduplicated by Alertmanager or, if delivered, changes nothing.
    await alertmanager.postAlerts([{ labels }]);
    await alertmanager.postAlerts([{ labels, endsAt: new Date().toISOString() }]);
    await waitFor(async () => (await store.auditLog("shop")).some((e) => e.reason.includes("resolved")), { what: "resolved notification recorded" });
    const after = await stateOverHttp();
    expect(after).toMatchObject({ canaryPercent: 0, phase: "rolled_back", revision: rolledBack.revision });
  });
});
