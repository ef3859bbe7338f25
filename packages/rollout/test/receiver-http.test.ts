import { describe, expect, it } from "vitest";
import { setCapability, start, stagesFrom, transition, DEFAULT_STAGE_PERCENTS } from "@agent-canary/rollout-state";
import { ALERT_STARTS_AT, TOKEN, amPayload, post, receiverPerTest } from "./helpers.js";

const t = receiverPerTest(["shop", "billing"]);

const rollbackAlert = (deployment = "shop", extra: Record<string, string> = {}) =>
  JSON.stringify(amPayload([{ labels: { alertname: "CostGate", deployment, action: "rollback", ...extra } }]));

/** Everything a rejected request must leave alone. */
async function snapshot() {
  return { shop: await t.store.read("shop"), audit: await t.store.auditLog("shop") };
}

describe("receiver: Alertmanager webhook", () => {
  it("rolls the canary back to 0 and replies only after the state is durable", async () => {
    const response = await post(`${t.url}/hooks/alertmanager`, rollbackAlert());
    expect(response.status).toBe(200);
    expect((await response.json()).results[0]).toMatchObject({ outcome: "changed", deployment: "shop", alertname: "CostGate" });
    const state = await t.store.read("shop");
    expect(state).toMatchObject({ canaryPercent: 0, phase: "rolled_back", lastTransition: { by: "alertmanager:fp0", action: "rollback" } });
    expect(state?.rolledBackAt).not.toBeNull();
    expect((await t.store.read("billing"))?.canaryPercent).toBe(25);
  });

  it("treats a duplicate delivery as a no-op that is recorded in the audit log", async () => {
    await post(`${t.url}/hooks/alertmanager`, rollbackAlert());
    const after = await t.store.read("shop");
    const again = await post(`${t.url}/hooks/alertmanager`, rollbackAlert());
    expect((await again.json()).results[0]).toMatchObject({ outcome: "duplicate", reason: expect.stringContaining("already rolled back") });
    expect((await t.store.read("shop"))?.revision).toBe(after?.revision);
    const log = await t.store.auditLog("shop");
    // The audit says what happened: the change, then a duplicate (not a second "rollback 0% → 0%").
    expect(log.at(-2)).toMatchObject({ action: "rollback", outcome: "changed", fromPercent: 25, toPercent: 0 });
    expect(log.at(-1)).toMatchObject({ action: "rollback", outcome: "duplicate", fromRevision: after?.revision, toRevision: after?.revision, reason: expect.stringContaining("firing again") });
  });

  it("records a resolved alert and never restores traffic", async () => {
    await post(`${t.url}/hooks/alertmanager`, rollbackAlert());
    const rolledBack = await t.store.read("shop");
    const resolved = JSON.stringify(amPayload([{ status: "resolved", labels: { alertname: "CostGate", deployment: "shop", action: "rollback" } }]));
    const response = await post(`${t.url}/hooks/alertmanager`, resolved);
    expect((await response.json()).results[0]).toMatchObject({ outcome: "resolved" });
    expect(await t.store.read("shop")).toEqual(rolledBack);
    expect((await t.store.auditLog("shop")).at(-1)).toMatchObject({ outcome: "resolved", reason: expect.stringMatching(/resolved; traffic is not restored/) });
  });

  it("pauses on action=hold and keeps traffic where it is", async () => {
    await post(`${t.url}/hooks/alertmanager`, JSON.stringify(amPayload([{ labels: { alertname: "LatencyGate", deployment: "shop", action: "hold" } }])));
    expect(await t.store.read("shop")).toMatchObject({ phase: "paused", canaryPercent: 25 });
  });

  it("turns off only the named capability instead of rolling back the version, and audits its name and percent", async () => {
    await post(`${t.url}/hooks/alertmanager`, rollbackAlert("shop", { capability: "db_write" }));
    expect(await t.store.read("shop")).toMatchObject({ phase: "progressing", canaryPercent: 25, capabilities: { db_write: { enabled: false } } });
    expect((await t.store.auditLog("shop")).at(-1)).toMatchObject({ action: "capability", outcome: "changed", capability: { name: "db_write", enabled: false, percent: 0 } });
  });

  it("acts on a capability label alone, whatever the action label says; a second delivery is a duplicate", async () => {
    await transition(t.store, "shop", setCapability("shop", "refunds", { percent: 20 }), { by: "cli:ana", reason: "try refunds" });
    const deliveries: Record<string, string>[] = [{ alertname: "RefundErrors", deployment: "shop", capability: "refunds" }, { alertname: "RefundErrors", deployment: "shop", capability: "refunds", action: "page" }];
    for (const labels of deliveries) {
      const response = await post(`${t.url}/hooks/alertmanager`, JSON.stringify(amPayload([{ labels }])));
      expect(response.status).toBe(200);
    }
    expect(await t.store.read("shop")).toMatchObject({ phase: "progressing", canaryPercent: 25, capabilities: { refunds: { enabled: false, percent: 20 } } });
    const audit = await t.store.auditLog("shop");
    expect(audit.at(-2)).toMatchObject({ action: "capability", outcome: "changed", capability: { name: "refunds", enabled: false, percent: 20, fromEnabled: true, fromPercent: 20 } });
    expect(audit.at(-1)).toMatchObject({ action: "capability", outcome: "duplicate", capability: { name: "refunds", enabled: false, percent: 20 } });
  });

  it("ignores a capability label no state can hold (__proto__), with the reason, and writes nothing", async () => {
    const before = await snapshot();
    for (let i = 0; i < 3; i++) {
      const response = await post(`${t.url}/hooks/alertmanager`, JSON.stringify(amPayload([{ labels: { alertname: "X", deployment: "shop", capability: "__proto__" } }])));
      expect((await response.json()).results[0]).toMatchObject({ outcome: "ignored", reason: expect.stringContaining("__proto__") });
    }
    expect(await snapshot()).toEqual(before);
  });

  it("names an unknown deployment in the reply and changes nothing", async () => {
    const before = await t.store.list();
    const response = await post(`${t.url}/hooks/alertmanager`, rollbackAlert("ghost"));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ unknownDeployments: ["ghost"], results: [{ outcome: "unknown_deployment" }] });
    expect(await t.store.list()).toEqual(before);
    const metrics = await (await fetch(`${t.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
    expect(metrics).toMatch(/agent_canary_receiver_notifications_total\{source="alertmanager",outcome="unknown_deployment"\} 1/);
  });

  it("ignores an alert whose deployment label is not a deployment name, and still acts on the rest of the group", async () => {
    const payload = amPayload([
      { labels: { alertname: "CostGate", deployment: "Shop/../x", action: "rollback" } },
      { labels: { alertname: "CostGate", deployment: "shop", action: "rollback" } },
    ]);
    const response = await post(`${t.url}/hooks/alertmanager`, JSON.stringify(payload));
    expect(response.status).toBe(200);
    const { results } = (await response.json()) as { results: { outcome: string; reason: string }[] };
    expect(results[0]).toMatchObject({ outcome: "ignored", reason: expect.stringContaining('deployment="Shop/../x"') });
    expect(results[1]).toMatchObject({ outcome: "changed" });
  });

  it("handles concurrent webhooks for two deployments without losing either", async () => {
    const responses = await Promise.all([
      ...Array.from({ length: 4 }, () => post(`${t.url}/hooks/alertmanager`, rollbackAlert("shop"))),
      ...Array.from({ length: 4 }, () => post(`${t.url}/hooks/alertmanager`, rollbackAlert("billing"))),
    ]);
    expect(responses.map((r) => r.status)).toEqual(Array(8).fill(200));
    for (const deployment of ["shop", "billing"]) {
      const state = await t.store.read(deployment);
      expect(state).toMatchObject({ canaryPercent: 0, phase: "rolled_back", revision: 2 });
      const log = await t.store.auditLog(deployment);
      expect(log.filter((e) => e.action === "rollback" && e.toRevision !== e.fromRevision)).toHaveLength(1);
    }
  });
});

describe("receiver: alerts about an earlier rollout", () => {
  const NEXT_CANARY = { hash: "00000000000000cc" };
  const NEW_ROLLOUT_AT = "2026-01-01T01:00:00.000Z";
  const alert = (startsAt: string, action = "rollback", fingerprint = "fp-cost") =>
    JSON.stringify(amPayload([{ labels: { alertname: "CostGate", deployment: "shop", action }, fingerprint, startsAt }]));
  const send = async (body: string) => {
    const response = await post(`${t.url}/hooks/alertmanager`, body);
    expect(response.status).toBe(200);
    return ((await response.json()) as { results: { outcome: string; reason: string }[] }).results[0];
  };
  /** The operator starts a new rollout of the same deployment at NEW_ROLLOUT_AT. */
  const restart = () =>
    transition(t.store, "shop", start({ deployment: "shop", canary: NEXT_CANARY, stages: stagesFrom(DEFAULT_STAGE_PERCENTS, 0, 0) }), { by: "cli:ana", reason: "v3" }, { now: () => new Date(NEW_ROLLOUT_AT) });

  it("records a re-sent alert about the rolled-back rollout as stale and leaves the new canary alone; a new alert still rolls it back", async () => {
    expect(await send(alert(ALERT_STARTS_AT))).toMatchObject({ outcome: "changed" });
    await restart();
    const before = await t.store.read("shop");
    expect(before).toMatchObject({ canary: NEXT_CANARY, phase: "progressing", canaryPercent: 1, rolloutStartedAt: NEW_ROLLOUT_AT });

    // Alertmanager's repeat_interval (or its HA peer) re-sends the old alert: same startsAt.
    const repeat = await send(alert(ALERT_STARTS_AT));
    expect(repeat).toMatchObject({ outcome: "stale", reason: expect.stringContaining(NEW_ROLLOUT_AT) });
    // 60 s of clock skew are allowed by default; a millisecond more is about the rollout before.
    expect(await send(alert("2026-01-01T00:58:59.999Z"))).toMatchObject({ outcome: "stale" });
    // A hold about the earlier rollout must not pause the new one either.
    expect(await send(alert(ALERT_STARTS_AT, "hold", "fp-hold"))).toMatchObject({ outcome: "stale" });
    expect(await t.store.read("shop")).toEqual(before);
    const audit = await t.store.auditLog("shop");
    expect(audit.at(-3)).toMatchObject({ action: "rollback", outcome: "stale", fromRevision: before?.revision, toRevision: before?.revision, reason: expect.stringMatching(/stale/), details: { startsAt: ALERT_STARTS_AT, rolloutStartedAt: NEW_ROLLOUT_AT } });
    expect(audit.at(-1)).toMatchObject({ action: "hold", outcome: "stale", reason: expect.stringMatching(/stale/) });
    const metrics = await (await fetch(`${t.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
    expect(metrics).toMatch(/agent_canary_receiver_notifications_total\{source="alertmanager",outcome="stale"\} 3/);

    // Nanosecond precision as Alertmanager writes it, at the rollout's start: about this rollout.
    expect(await send(alert("2026-01-01T01:00:00.000000001Z", "rollback", "fp-new"))).toMatchObject({ outcome: "changed" });
    expect(await t.store.read("shop")).toMatchObject({ canary: NEXT_CANARY, canaryPercent: 0, phase: "rolled_back" });
  });

  it("allows the configured clock skew and no more", async () => {
    await t.restart({ staleAlertSkewSeconds: 30 });
    expect(await send(alert(ALERT_STARTS_AT))).toMatchObject({ outcome: "changed" });
    await restart();
    expect(await send(alert("2026-01-01T00:59:29.999Z"))).toMatchObject({ outcome: "stale", reason: expect.stringMatching(/30 s of clock skew/) });
    expect((await t.store.read("shop"))?.canaryPercent).toBe(1);
    expect(await send(alert("2026-01-01T00:59:30.000Z"))).toMatchObject({ outcome: "changed" });
    expect((await t.store.read("shop"))?.canaryPercent).toBe(0);
  });

  it("acts when it cannot judge: no start time in an older state, or Go's zero startsAt", async () => {
    // A state written before rolloutStartedAt existed.
    await transition(t.store, "shop", () => ({ kind: "changed", action: "set", patch: { rolloutStartedAt: null } }), { by: "test", reason: "old state" });
    expect(await send(alert("2020-01-01T00:00:00Z"))).toMatchObject({ outcome: "changed" });
    await restart();
    expect((await t.store.read("shop"))?.rolloutStartedAt).toBe(NEW_ROLLOUT_AT);
    expect(await send(alert("0001-01-01T00:00:00Z"))).toMatchObject({ outcome: "changed" });
    expect((await t.store.read("shop"))?.phase).toBe("rolled_back");
  });
});

describe("receiver: rejected requests change nothing", () => {
  it("401 without or with wrong credentials", async () => {
    const before = await snapshot();
    expect((await post(`${t.url}/hooks/alertmanager`, rollbackAlert(), { authorization: "" })).status).toBe(401);
    expect((await post(`${t.url}/hooks/alertmanager`, rollbackAlert(), { authorization: "Bearer wrong-token-wrong-token" })).status).toBe(401);
    const basicWrong = `Basic ${Buffer.from("ops:nope").toString("base64")}`;
    expect((await post(`${t.url}/hooks/alertmanager`, rollbackAlert(), { authorization: basicWrong })).status).toBe(401);
    expect((await fetch(`${t.url}/state`)).status).toBe(401);
    expect((await fetch(`${t.url}/metrics`)).status).toBe(401);
    expect(await snapshot()).toEqual(before);
  });

  it("accepts basic auth", async () => {
    const basic = `Basic ${Buffer.from("ops:ops-password-1").toString("base64")}`;
    expect((await post(`${t.url}/hooks/alertmanager`, rollbackAlert(), { authorization: basic })).status).toBe(200);
  });

  it("400 naming the field for a payload of the wrong shape, and for invalid JSON", async () => {
    const before = await snapshot();
    const wrongVersion = await post(`${t.url}/hooks/alertmanager`, JSON.stringify({ ...amPayload([]), version: "3" }));
    expect(wrongVersion.status).toBe(400);
    expect(await wrongVersion.json()).toMatchObject({ field: "version", error: expect.stringContaining('version "4"') });
    const badAlert = await post(`${t.url}/hooks/alertmanager`, JSON.stringify(amPayload([{ labels: { alertname: "x", deployment: "shop", action: "rollback" }, status: "exploded" as "firing" }])));
    expect(await badAlert.json()).toMatchObject({ field: "alerts.0.status" });
    // A field of the wrong type is named with what it must hold, in words, not zod's types,
    // and without quoting the sender's value back.
    const alertsNotAList = await post(`${t.url}/hooks/alertmanager`, JSON.stringify({ ...amPayload([]), alerts: "shop is down" }));
    expect(alertsNotAList.status).toBe(400);
    expect(await alertsNotAList.json()).toMatchObject({ field: "alerts", error: 'invalid Alertmanager payload at "alerts": must be a list ([a, b], or one "- item" per line), not text' });
    const notJson = await post(`${t.url}/hooks/alertmanager`, "{ nope");
    expect(notJson.status).toBe(400);
    expect((await notJson.json()).error).toMatch(/not valid JSON/);
    expect(await snapshot()).toEqual(before);
  });

  it("413 for a body over the limit and 415 for a non-JSON content type", async () => {
    await t.restart({ bodyLimitBytes: 2048 });
    const before = await snapshot();
    const huge = JSON.stringify(amPayload([{ labels: { alertname: "x".repeat(4096), deployment: "shop", action: "rollback" } }]));
    const tooLarge = await post(`${t.url}/hooks/alertmanager`, huge);
    expect(tooLarge.status).toBe(413);
    expect((await tooLarge.json()).error).toMatch(/limit of 2048 bytes \(--body-limit\)/);
    const plain = await post(`${t.url}/hooks/alertmanager`, rollbackAlert(), { "content-type": "text/plain" });
    expect(plain.status).toBe(415);
    expect((await plain.json()).error).toMatch(/content-type text\/plain .*application\/json/);
    expect(await snapshot()).toEqual(before);
    const metrics = await (await fetch(`${t.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
    expect(metrics).toMatch(/agent_canary_receiver_rejected_total\{reason="body_too_large"\} 1/);
    expect(metrics).toMatch(/agent_canary_receiver_rejected_total\{reason="unsupported_media_type"\} 1/);
  });
});

describe("receiver: state, health and metrics", () => {
  it("serves the state of one or all deployments and the canary percent gauge", async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    const one = await (await fetch(`${t.url}/state?deployment=shop`, { headers: auth })).json();
    expect(one).toMatchObject({ deployment: "shop", canaryPercent: 25 });
    const all = await (await fetch(`${t.url}/state`, { headers: auth })).json();
    expect(all.deployments.map((s: { deployment: string }) => s.deployment)).toEqual(["billing", "shop"]);
    expect((await fetch(`${t.url}/state?deployment=ghost`, { headers: auth })).status).toBe(404);
    expect((await fetch(`${t.url}/state?deployment=Bad%20Name`, { headers: auth })).status).toBe(400);
    expect(await (await fetch(`${t.url}/healthz`)).json()).toEqual({ ok: true });
    await post(`${t.url}/hooks/alertmanager`, rollbackAlert());
    const metrics = await (await fetch(`${t.url}/metrics`, { headers: auth })).text();
    expect(metrics).toMatch(/agent_canary_rollout_canary_percent\{deployment="shop"\} 0/);
    expect(metrics).toMatch(/agent_canary_rollout_canary_percent\{deployment="billing"\} 25/);
    expect(metrics).toMatch(/agent_canary_rollout_phase\{deployment="shop",phase="rolled_back"\} 1/);
    expect(metrics).toMatch(/agent_canary_rollout_transitions_total\{deployment="shop",action="rollback",source="alertmanager"\} 1/);
  });
});
