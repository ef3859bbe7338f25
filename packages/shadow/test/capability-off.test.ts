import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { versionHash } from "@agent-canary/conventions";
import { BASELINE_VERSION, CANARY_VERSION, makeTask, runSupportSession, seeded, startModelServer, type ModelServer, type SupportTask } from "@agent-canary/example-support-agent";
import { AgentCanary } from "@agent-canary/instrumentation";
import { createReceiver, ReceiverConfigSchema, type Receiver } from "@agent-canary/rollout";
import { DEFAULT_STAGE_PERCENTS, FileStore, setCapability, setPercent, stagesFrom, start, transition } from "@agent-canary/rollout-state";
import { waitFor } from "@agent-canary/testkit";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * The capability-flag practice of agent releases: a new version at 100% of
 * traffic with its new write tool behind a capability flag. A gate alert that
 * names the capability turns the tool off; the version split does not move.
 */
const DEPLOYMENT = "support";
const TOKEN = "shadow-test-token-0123456789";
const CAPABILITY = "issue_refund";

const v1 = BASELINE_VERSION;
const v2 = CANARY_VERSION;
const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

let store: FileStore;
let receiver: Receiver;
let url: string;
let agentCanary: AgentCanary;
let models: ModelServer;
let client: OpenAI;

beforeAll(async () => {
  store = new FileStore({ dir: await mkdtemp(join(tmpdir(), "shadow-capability-")), pollIntervalMs: 100 });
  const meta = { by: "test", reason: "set up the rollout" };
  await transition(store, DEPLOYMENT, start({ deployment: DEPLOYMENT, baseline: { hash: versionHash(v1) }, canary: { hash: versionHash(v2) }, stages: stagesFrom(DEFAULT_STAGE_PERCENTS, 0, 0) }), meta);
  await transition(store, DEPLOYMENT, setPercent(DEPLOYMENT, 100), meta);
  await transition(store, DEPLOYMENT, setCapability(DEPLOYMENT, CAPABILITY, { enabled: true, percent: 100 }), meta);

  const config = ReceiverConfigSchema.parse({ port: 0, auth: { bearerTokens: [TOKEN] } });
  receiver = createReceiver({ config, store, logger: false });
  url = await receiver.listen();
  agentCanary = new AgentCanary({ deployment: DEPLOYMENT, versions: { baseline: v1, canary: v2 }, store, logger: quiet });
  models = await startModelServer({ defaultBehaviour: { taskFailureRate: 0, loopRate: 0, extraSearchRate: 0 } });
  client = new OpenAI({ baseURL: models.baseURL, apiKey: "local-test", maxRetries: 0 });
});

afterAll(async () => {
  await agentCanary?.close();
  await receiver?.close();
  await models?.close();
});

/** One refund conversation of the example agent, its refund tool behind the capability flag. */
async function refundConversation(sessionId: string, task: SupportTask) {
  return agentCanary.session({ id: sessionId }, async (s) => {
    const result = await runSupportSession(client, s, task, { refundCapability: CAPABILITY });
    return { group: s.group, versionHash: s.versionHash, refundsOn: s.capability(CAPABILITY), answer: result.answer };
  });
}

const refundTasks = (() => {
  const random = seeded("capability-off");
  return Array.from({ length: 40 }, (_, i) => makeTask(random, `C-${i}`)).filter((t) => t.kind === "refund");
})();

function alertmanagerPayload(labels: Record<string, string>): string {
  return JSON.stringify({
    version: "4",
    groupKey: '{}:{alertname="RefundToolSafety"}',
    truncatedAlerts: 0,
    status: "firing",
    receiver: "agent-canary",
    groupLabels: {},
    commonLabels: labels,
    commonAnnotations: {},
    externalURL: "http://127.0.0.1:9093",
    alerts: [
      {
        status: "firing",
        labels,
        annotations: { summary: "refund tool issues refunds above the order total" },
        startsAt: new Date().toISOString(),
        endsAt: "0001-01-01T00:00:00Z",
        generatorURL: "http://127.0.0.1:9090/graph",
        fingerprint: "cap0001",
      },
    ],
  });
}

describe("capability switched off by an alert", () => {
  it("stops refunds in new sessions of the example agent while the new version keeps 100% of traffic", async () => {
    const [first, second] = refundTasks;
    if (!first || !second) throw new Error("the seed gave fewer than two refund tasks");
    const before = await refundConversation("session-before", first);
    expect(before).toMatchObject({ group: "canary", versionHash: versionHash(v2), refundsOn: true });
    expect(before.answer).toMatch(new RegExp(`^Refund R-${first.orderId} of \\d+ USD is on its way\\.$`));

    const response = await fetch(`${url}/hooks/alertmanager`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
      body: alertmanagerPayload({ alertname: "RefundToolSafety", deployment: DEPLOYMENT, action: "rollback", capability: CAPABILITY, severity: "critical" }),
    });
    expect(response.status).toBe(200);

    const state = await store.read(DEPLOYMENT);
    expect(state).toMatchObject({ canaryPercent: 100, phase: "progressing", canary: { hash: versionHash(v2) } });
    expect(state?.capabilities[CAPABILITY]).toMatchObject({ enabled: false, percent: 100 });
    expect((await store.auditLog(DEPLOYMENT)).at(-1)).toMatchObject({ action: "capability", toPercent: 100 });

    // Routers learn of the change through the store's watch; then new sessions lose the tool but keep the version.
    await waitFor(() => agentCanary.rolloutState?.capabilities[CAPABILITY]?.enabled === false, { what: "router sees the capability off" });
    const after = await refundConversation("session-after", second);
    expect(after).toMatchObject({ group: "canary", versionHash: versionHash(v2), refundsOn: false });
    expect(after.answer).toBe("I have passed your refund request to a colleague: refunds are handled by a human for this customer; say so.");
    expect((await store.read(DEPLOYMENT))?.canaryPercent).toBe(100);
  });
});
