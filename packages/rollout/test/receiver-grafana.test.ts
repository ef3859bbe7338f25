import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { resume, transition } from "@agent-canary/rollout-state";
import { describe, expect, it } from "vitest";
import { ALERT_STARTS_AT, grafanaSign, post, receiverPerTest } from "./helpers.js";

const t = receiverPerTest(["shop"]);

function grafanaBody(action = "rollback"): string {
  return JSON.stringify({
    receiver: "agent-canary",
    status: "firing",
    orgId: 1,
    alerts: [{ status: "firing", labels: { alertname: "LoopGate", deployment: "shop", action }, annotations: {}, fingerprint: "g1", startsAt: ALERT_STARTS_AT }],
    groupLabels: {},
    commonLabels: {},
    commonAnnotations: {},
    externalURL: "http://grafana.test",
    version: "1",
    groupKey: "{}",
    truncatedAlerts: 0,
    title: "[FIRING:1] LoopGate",
    state: "alerting",
    message: "",
  });
}
const nowSeconds = () => String(Math.floor(Date.now() / 1000));
const grafana = (body: string, headers: Record<string, string>) => post(`${t.url}/hooks/grafana`, body, { authorization: "", ...headers });
/** Signed as a contact point with HMAC secret and Timestamp Header "X-Grafana-Alerting-Timestamp" sends it. */
const signed = (body: string, ts = nowSeconds()) => ({ "X-Grafana-Alerting-Signature": grafanaSign(body, ts), "X-Grafana-Alerting-Timestamp": ts });
const snapshot = async () => ({ state: await t.store.read("shop"), audit: await t.store.auditLog("shop") });

describe("receiver: Grafana webhook", () => {
  it("acts on a delivery signed with the timestamp header Grafana users set (X-Grafana-Alerting-Timestamp)", async () => {
    const response = await grafana(grafanaBody(), signed(grafanaBody()));
    expect(response.status).toBe(200);
    expect(await t.store.read("shop")).toMatchObject({ canaryPercent: 0, lastTransition: { by: "grafana:g1" } });
  });

  it("also takes the older default timestamp header name, and Grafana's built-in signature header name", async () => {
    const ts = nowSeconds();
    const body = grafanaBody();
    const response = await grafana(body, { "X-Grafana-Alert-Signature": grafanaSign(body, ts), "X-Grafana-Alerting-Signature-Timestamp": ts });
    expect(response.status).toBe(200);
  });

  it("401 saying which header is missing: a delivery without a timestamp is refused by default (it could be replayed forever)", async () => {
    const before = await snapshot();
    const body = grafanaBody();
    const noTimestamp = await grafana(body, { "X-Grafana-Alerting-Signature": grafanaSign(body) });
    expect(noTimestamp.status).toBe(401);
    expect((await noTimestamp.json()).error).toMatch(/no timestamp header: expected one of X-Grafana-Alerting-Timestamp, X-Grafana-Alerting-Signature-Timestamp; set the contact point's HMAC "Timestamp Header" to X-Grafana-Alerting-Timestamp/);
    const noSignature = await grafana(body, {});
    expect((await noSignature.json()).error).toMatch(/no signature header: expected X-Grafana-Alerting-Signature/);
    expect(await snapshot()).toEqual(before);
  });

  it("401 for an invalid or a stale signature, and nothing changes", async () => {
    const before = await snapshot();
    const body = grafanaBody();
    const ts = nowSeconds();
    const tampered = await grafana(`${body} `, { "X-Grafana-Alerting-Signature": grafanaSign(body, ts), "X-Grafana-Alerting-Timestamp": ts });
    expect(tampered.status).toBe(401);
    expect((await tampered.json()).error).toMatch(/does not match the body/);
    const old = String(Math.floor(Date.now() / 1000) - 3600);
    const stale = await grafana(body, signed(body, old));
    expect(stale.status).toBe(401);
    expect((await stale.json()).error).toMatch(/more than 300 s from this receiver's clock/);
    expect(await snapshot()).toEqual(before);
  });

  it("refuses a replay of a captured hold after the operator resumed, and still accepts a fresh delivery", async () => {
    const body = grafanaBody("hold");
    const captured = signed(body);
    expect((await grafana(body, captured)).status).toBe(200);
    expect((await t.store.read("shop"))?.phase).toBe("paused");
    await transition(t.store, "shop", resume("shop"), { by: "cli:ana", reason: "looked, fine" });
    const replay = await grafana(body, captured);
    expect(replay.status).toBe(401);
    expect((await replay.json()).error).toMatch(/acted on before: a replay/);
    expect((await t.store.read("shop"))?.phase).toBe("progressing");
    // Grafana's next notification carries a new timestamp, hence a new signature.
    const later = String(Number(captured["X-Grafana-Alerting-Timestamp"]) + 1);
    expect((await grafana(body, signed(body, later))).status).toBe(200);
    expect((await t.store.read("shop"))?.phase).toBe("paused");
  });

  it("accepts the retry of a delivery it answered with 5xx: that is not a replay", async () => {
    const path = join(t.store.dir, "shop.json");
    const good = await readFile(path, "utf8");
    await writeFile(path, "{ corrupt");
    const body = grafanaBody();
    const headers = signed(body);
    expect((await grafana(body, headers)).status).toBe(500);
    await writeFile(path, good);
    expect((await grafana(body, headers)).status).toBe(200);
    expect((await t.store.read("shop"))?.phase).toBe("rolled_back");
  });

  it("checks the signature before parsing: an unsigned deeply nested body is refused without being parsed; a signed one too deep is 400", async () => {
    const deep = `${"[".repeat(200_000)}${"]".repeat(200_000)}`;
    const unsigned = await grafana(deep, {});
    expect(unsigned.status).toBe(401);
    const signedDeep = await grafana(deep, signed(deep));
    expect(signedDeep.status).toBe(400);
    expect((await signedDeep.json()).error).toMatch(/nests deeper than 32 levels/);
    const metrics = await t.receiver.metrics.registry.getSingleMetricAsString("agent_canary_receiver_rejected_total");
    expect(metrics).toMatch(/reason="signature_missing"\} 1/);
    expect(metrics).toMatch(/reason="too_deep"\} 1/);
  });
});
