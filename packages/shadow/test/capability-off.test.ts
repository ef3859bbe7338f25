import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { versionHash, type VersionSpec } from "@agent-canary/conventions";
import { AgentCanary } from "@agent-canary/instrumentation";
import { createReceiver, ReceiverConfigSchema, type Receiver } from "@agent-canary/rollout";
import { DEFAULT_STAGE_PERCENTS, FileStore, setCapability, setPercent, stagesFrom, start, transition } from "@agent-canary/rollout-state";
import { waitFor } from "@agent-canary/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * The feature-flag knob from the first source: a new version at 100% of
 * traffic with its new write tool behind a capability flag. A gate alert that
 * names the capability turns the tool off; the version split does not move.
 */
const DEPLOYMENT = "support";
const TOKEN = "shadow-test-token-0123456789";
const CAPABILITY = "issue_refund";

const v1: VersionSpec = { model: "support-model-1", systemPrompt: "You help customers with orders.", tools: [{ name: "lookup_order" }] };
const v2: VersionSpec = { ...v1, tools: [{ name: "lookup_order" }, { name: "issue_refund" }] };

let store: FileStore;
let receiver: Receiver;
let url: string;
let agentCanary: AgentCanary;

beforeAll(async () => {
  store = new FileStore({ dir: await mkdtemp(join(tmpdir(), "shadow-capability-")), pollIntervalMs: 100 });
  const meta = { by: "test", reason: "set up the rollout" };
  await transition(store, DEPLOYMENT, start({ deployment: DEPLOYMENT, baseline: { hash: versionHash(v1) }, canary: { hash: versionHash(v2) }, stages: stagesFrom(DEFAULT_STAGE_PERCENTS, 0, 0) }), meta);
  await transition(store, DEPLOYMENT, setPercent(DEPLOYMENT, 100), meta);
  await transition(store, DEPLOYMENT, setCapability(DEPLOYMENT, CAPABILITY, { enabled: true, percent: 100 }), meta);

  const config = ReceiverConfigSchema.parse({ port: 0, auth: { bearerTokens: [TOKEN] } });
  receiver = createReceiver({ config, store, logger: false });
  url = await receiver.listen();
  agentCanary = new AgentCanary({ deployment: DEPLOYMENT, versions: { baseline: v1, canary: v2 }, store });
});

afterAll(async () => {
  await agentCanary?.close();
  await receiver?.close();
});

/** The agent offers the refund tool only when the capability is on for the session. */
async function toolsOffered(sessionId: string): Promise<{ group: string; versionHash: string; tools: string[] }> {
  return agentCanary.session({ id: sessionId }, (s) => ({
    group: s.group,
    versionHash: s.versionHash,
    tools: s.version.tools.map((t) => t.name).filter((name) => name !== CAPABILITY || s.capability(CAPABILITY)),
  }));
}

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
  it("removes the refund tool from new sessions while the new version keeps 100% of traffic", async () => {
    const before = await toolsOffered("session-before");
    expect(before).toEqual({ group: "canary", versionHash: versionHash(v2), tools: ["lookup_order", "issue_refund"] });

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
    const after = await toolsOffered("session-after");
    expect(after).toEqual({ group: "canary", versionHash: versionHash(v2), tools: ["lookup_order"] });
  });
});
