// The receiver's credential checks, one rule per test: the bearer token and basic auth,
// Grafana's HMAC signature with its timestamp and skew bound, and replay protection.
// Written against the survivors of mutation testing (issue 14; scripts/mutation.sh receiver).
import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { authorized, safeEqual } from "../src/receiver/auth.js";
import { GrafanaSignatureSchema } from "../src/receiver/config.js";
import { checkGrafanaHeaders, verifyGrafanaSignature } from "../src/receiver/grafana-signature.js";
import { ReplayCache } from "../src/receiver/replay-cache.js";
import { GRAFANA_SECRET, TOKEN, amPayload, post, receiverPerTest } from "./helpers.js";

const credentials = { bearerTokens: ["first-token-0123456789", TOKEN], basic: [{ username: "ops", password: "pass:word" }] };
const basic = (userPass: string) => `Basic ${Buffer.from(userPass).toString("base64")}`;

describe("bearer and basic credentials", () => {
  it("accept the exact token of any configured one, whatever the scheme's case and surrounding spaces", () => {
    expect(authorized(`Bearer ${TOKEN}`, credentials)).toBe(true);
    expect(authorized("Bearer first-token-0123456789", credentials)).toBe(true);
    expect(authorized(`bearer ${TOKEN}`, credentials)).toBe(true);
    expect(authorized(`BEARER ${TOKEN}  `, credentials)).toBe(true);
  });

  it("refuse a prefix, an extension or a change of the token", () => {
    for (const given of [TOKEN.slice(0, -1), TOKEN.slice(0, 1), `${TOKEN}x`, TOKEN.toUpperCase(), `x${TOKEN}`]) {
      expect(authorized(`Bearer ${given}`, credentials), given).toBe(false);
    }
  });

  it("refuse no header, an empty one, a scheme without a value, and other schemes carrying the token", () => {
    expect(authorized(undefined, credentials)).toBe(false);
    expect(authorized("", credentials)).toBe(false);
    expect(authorized("Bearer", credentials)).toBe(false);
    expect(authorized(TOKEN, credentials)).toBe(false);
    expect(authorized("Bearer ", credentials)).toBe(false);
    expect(authorized(`Token ${TOKEN}`, credentials)).toBe(false);
    expect(authorized(`Basic ${TOKEN}`, credentials)).toBe(false);
    // A bearer token is not a basic password, nor the other way round.
    expect(authorized(`Bearer ops:pass:word`, credentials)).toBe(false);
  });

  it("refuse a header without a scheme even when it equals a token, and basic credentials under another scheme", () => {
    expect(authorized("bearerX", { bearerTokens: ["bearerX"], basic: [] })).toBe(false);
    expect(authorized(`Token ${Buffer.from("ops:pass:word").toString("base64")}`, credentials)).toBe(false);
  });

  it("accept basic auth only for the exact user and password (which may hold a colon)", () => {
    expect(authorized(basic("ops:pass:word"), credentials)).toBe(true);
    expect(authorized(`BASIC ${Buffer.from("ops:pass:word").toString("base64")}`, credentials)).toBe(true);
    for (const wrong of ["ops:pass", "ops:pass:wordx", "op:pass:word", "opspass:word", ":", "ops"]) {
      expect(authorized(basic(wrong), credentials), wrong).toBe(false);
    }
  });

  it("with nothing configured, refuse everything", () => {
    expect(authorized(`Bearer ${TOKEN}`, { bearerTokens: [], basic: [] })).toBe(false);
    expect(authorized(basic(":"), { bearerTokens: [], basic: [] })).toBe(false);
  });

  it("compare by content and length", () => {
    expect(safeEqual("same", "same")).toBe(true);
    expect(safeEqual("same", "samf")).toBe(false);
    expect(safeEqual("same", "same ")).toBe(false);
    expect(safeEqual("", "")).toBe(true);
  });
});

const settings = GrafanaSignatureSchema.parse({ secret: GRAFANA_SECRET });
const NOW_MS = 1_800_000_000_000;
const NOW_S = NOW_MS / 1000;
const BODY = '{"status":"firing"}';
const hmac = (payload: string, secret = GRAFANA_SECRET) => createHmac("sha256", secret).update(payload).digest("hex");
/** Headers as node hands them to the receiver: names lowercased. */
const headers = (signature: string | undefined, timestamp?: string | number, name = "x-grafana-alerting-timestamp") => ({
  ...(signature === undefined ? {} : { "x-grafana-alerting-signature": signature }),
  ...(timestamp === undefined ? {} : { [name]: String(timestamp) }),
});

describe("Grafana signature", () => {
  it("accepts the HMAC of '<timestamp>:<body>', in any case and with surrounding spaces, and says how long to remember it", () => {
    const check = verifyGrafanaSignature(settings, headers(` ${hmac(`${NOW_S}:${BODY}`).toUpperCase()} `, NOW_S), BODY, NOW_MS, new ReplayCache());
    expect(check).toEqual({ ok: true, signature: hmac(`${NOW_S}:${BODY}`), replayTtlMs: 2 * 300 * 1000 });
  });

  it("refuses a signature over the body alone when a timestamp was sent, another secret's, or another body's", () => {
    for (const signature of [hmac(BODY), hmac(`${NOW_S}:${BODY}`, "another-secret-0123456789"), hmac(`${NOW_S}:{}`)]) {
      const check = verifyGrafanaSignature(settings, headers(signature, NOW_S), BODY, NOW_MS, new ReplayCache());
      expect(check).toMatchObject({ ok: false, reason: "signature_invalid" });
      expect(check.ok ? "" : check.message).toBe(
        "the signature in X-Grafana-Alerting-Signature does not match the body and X-Grafana-Alerting-Timestamp: check the contact point's HMAC secret",
      );
    }
  });

  it("reads Grafana's built-in header name and the first of repeated headers", () => {
    const signature = hmac(`${NOW_S}:${BODY}`);
    const builtIn = { "x-grafana-alert-signature": signature, "x-grafana-alerting-timestamp": String(NOW_S) };
    expect(verifyGrafanaSignature(settings, builtIn, BODY, NOW_MS, new ReplayCache()).ok).toBe(true);
    const repeated = { "x-grafana-alerting-signature": [signature, "junk"], "x-grafana-alerting-timestamp": [String(NOW_S), "1"] };
    expect(verifyGrafanaSignature(settings, repeated, BODY, NOW_MS, new ReplayCache()).ok).toBe(true);
  });

  it("refuses a valid signature whose timestamp is stale or malformed, before comparing signatures", () => {
    const stale = String(NOW_S - 301);
    const check = verifyGrafanaSignature(settings, headers(hmac(`${stale}:${BODY}`), stale), BODY, NOW_MS, new ReplayCache());
    expect(check).toMatchObject({ ok: false, reason: "timestamp_skew" });
    const missing = verifyGrafanaSignature(settings, headers(undefined, NOW_S), BODY, NOW_MS, new ReplayCache());
    expect(missing).toMatchObject({ ok: false, reason: "signature_missing" });
  });

  it("names a placeholder when no timestamp header is configured", () => {
    const check = checkGrafanaHeaders({ ...settings, timestampHeaders: [] }, headers("sig"), NOW_MS);
    expect(check.ok ? "" : check.message).toContain('set the contact point\'s HMAC "Timestamp Header" to one of them');
  });

  it("takes the timestamp from the first configured header present", () => {
    const check = checkGrafanaHeaders(settings, headers("sig", NOW_S, "x-grafana-alerting-signature-timestamp"), NOW_MS);
    expect(check).toEqual({ ok: true, signature: "sig", timestamp: { header: "X-Grafana-Alerting-Signature-Timestamp", value: String(NOW_S) } });
  });

  it("refuses a missing signature or, by default, a missing timestamp, naming the headers", () => {
    expect(checkGrafanaHeaders(settings, headers(undefined, NOW_S), NOW_MS)).toMatchObject({
      ok: false,
      reason: "signature_missing",
      message: expect.stringContaining("expected X-Grafana-Alerting-Signature (or X-Grafana-Alert-Signature)"),
    });
    expect(checkGrafanaHeaders(settings, headers(""), NOW_MS)).toMatchObject({ ok: false, reason: "signature_missing" });
    expect(checkGrafanaHeaders(settings, headers("sig"), NOW_MS)).toMatchObject({ ok: false, reason: "timestamp_missing" });
  });

  it("without a required timestamp, accepts the HMAC of the body and remembers it for the replay window", () => {
    const lax = { ...settings, requireTimestamp: false, replayWindowSeconds: 7 };
    const check = verifyGrafanaSignature(lax, headers(hmac(BODY)), BODY, NOW_MS, new ReplayCache());
    expect(check).toEqual({ ok: true, signature: hmac(BODY), replayTtlMs: 7000 });
    const wrong = verifyGrafanaSignature(lax, headers(hmac(`${NOW_S}:${BODY}`)), BODY, NOW_MS, new ReplayCache());
    expect(wrong.ok ? "" : wrong.message).toBe("the signature in X-Grafana-Alerting-Signature does not match the body: check the contact point's HMAC secret");
  });

  it("allows exactly the configured clock skew either way, and no more", () => {
    const at = (ts: number) => checkGrafanaHeaders(settings, headers("sig", ts), NOW_MS);
    expect(at(NOW_S - 300).ok).toBe(true);
    expect(at(NOW_S + 300).ok).toBe(true);
    expect(at(NOW_S - 301)).toMatchObject({ ok: false, reason: "timestamp_skew", message: "X-Grafana-Alerting-Timestamp is more than 300 s from this receiver's clock: a replay, or clocks out of sync" });
    expect(at(NOW_S + 301)).toMatchObject({ ok: false, reason: "timestamp_skew" });
    // Half a second inside the bound (the receiver's clock has milliseconds) is inside.
    expect(checkGrafanaHeaders(settings, headers("sig", NOW_S + 300), NOW_MS + 500).ok).toBe(true);
  });

  it("takes a timestamp only as Unix seconds of up to 12 digits", () => {
    for (const ts of ["17e8", "-1", " 1800000000", "1800000000.5", "0x1", "", "1234567890123"]) {
      expect(checkGrafanaHeaders({ ...settings, maxSkewSeconds: 1e13 }, headers("sig", ts), NOW_MS), ts).toMatchObject({
        ok: false,
        reason: "timestamp_invalid",
        message: "X-Grafana-Alerting-Timestamp must be Unix seconds",
      });
    }
    expect(checkGrafanaHeaders({ ...settings, maxSkewSeconds: 1e13 }, headers("sig", "123456789012"), NOW_MS).ok).toBe(true);
  });

  it("refuses a signature already acted on as a replay, until its time in the cache is over", () => {
    const replays = new ReplayCache();
    const signature = hmac(`${NOW_S}:${BODY}`);
    const first = verifyGrafanaSignature(settings, headers(signature, NOW_S), BODY, NOW_MS, replays);
    expect(first.ok).toBe(true);
    // Checked twice but not yet acted on: not a replay (a 5xx retry).
    expect(verifyGrafanaSignature(settings, headers(signature, NOW_S), BODY, NOW_MS, replays).ok).toBe(true);
    if (!first.ok) throw new Error("unreachable");
    replays.remember(first.signature, NOW_MS, first.replayTtlMs);
    expect(verifyGrafanaSignature(settings, headers(signature, NOW_S), BODY, NOW_MS + 1000, replays)).toMatchObject({ ok: false, reason: "replayed" });
  });
});

describe("replay cache", () => {
  it("holds a signature until its expiry, not at it", () => {
    const cache = new ReplayCache();
    expect(cache.has("a", 0)).toBe(false);
    cache.remember("a", 1000, 500);
    expect(cache.has("a", 1000)).toBe(true);
    expect(cache.has("a", 1499)).toBe(true);
    expect(cache.has("a", 1500)).toBe(false);
    expect(cache.has("b", 1000)).toBe(false);
  });

  it("remembering a signature again restarts its time", () => {
    const cache = new ReplayCache();
    cache.remember("a", 0, 100);
    cache.remember("a", 90, 100);
    expect(cache.has("a", 150)).toBe(true);
  });

  it("when full, forgets the least recently remembered first: remembering again moves a signature to the back", () => {
    const cache = new ReplayCache(2);
    cache.remember("a", 0, 1000);
    cache.remember("b", 0, 1000);
    cache.remember("a", 10, 1000);
    cache.remember("c", 20, 1000);
    expect(cache.has("a", 30)).toBe(true);
    expect(cache.has("b", 30)).toBe(false);
    expect(cache.has("c", 30)).toBe(true);
  });

  it("when full, forgets the entries closest to expiry first, and expired ones before live ones", () => {
    const cache = new ReplayCache(2);
    cache.remember("a", 0, 100);
    cache.remember("b", 10, 100);
    cache.remember("c", 20, 100);
    expect(cache.has("a", 30)).toBe(false);
    expect(cache.has("b", 30)).toBe(true);
    expect(cache.has("c", 30)).toBe(true);
    // "b" and "c" are live; an entry added once both expired leaves only itself.
    cache.remember("d", 500, 100);
    cache.remember("e", 500, 100);
    expect(cache.has("d", 510)).toBe(true);
    expect(cache.has("e", 510)).toBe(true);
  });
});

describe("receiver without a Grafana secret", () => {
  const t = receiverPerTest(["shop"]);
  const body = JSON.stringify(amPayload([{ labels: { alertname: "CostGate", deployment: "shop", action: "rollback" } }]));

  it("keeps /hooks/grafana closed to requests without the whole bearer token, signed or not", async () => {
    await t.restart({ auth: { bearerTokens: [TOKEN] } });
    const before = await t.store.read("shop");
    const ts = String(Math.floor(Date.now() / 1000));
    const unsigned = await post(`${t.url}/hooks/grafana`, body, { authorization: "" });
    expect(unsigned.status).toBe(401);
    const signed = await post(`${t.url}/hooks/grafana`, body, {
      authorization: "",
      "X-Grafana-Alerting-Signature": hmac(`${ts}:${body}`),
      "X-Grafana-Alerting-Timestamp": ts,
    });
    expect(signed.status).toBe(401);
    const prefix = await post(`${t.url}/hooks/grafana`, body, { authorization: `Bearer ${TOKEN.slice(0, 8)}` });
    expect(prefix.status).toBe(401);
    expect(await t.store.read("shop")).toEqual(before);
  });
});
