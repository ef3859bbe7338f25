import { createHmac } from "node:crypto";
import { safeEqual } from "./auth.js";
import type { ReplayCache } from "./replay-cache.js";

export interface GrafanaSignatureSettings {
  secret: string;
  header: string;
  timestampHeaders: readonly string[];
  maxSkewSeconds: number;
  requireTimestamp: boolean;
  replayWindowSeconds: number;
}

/**
 * Grafana sends X-Grafana-Alerting-Signature when the contact point leaves the header empty,
 * although a comment in its code names this one; accepted too, in case a version follows the comment.
 */
const GRAFANA_BUILTIN_HEADER = "X-Grafana-Alert-Signature";

export type SignatureFailure = "signature_missing" | "signature_invalid" | "timestamp_missing" | "timestamp_invalid" | "timestamp_skew" | "replayed";
type Refused = { ok: false; reason: SignatureFailure; message: string };
/** On success: the signature to remember once the delivery was acted on, and for how long. */
export type SignatureCheck = { ok: true; signature: string; replayTtlMs: number } | Refused;

type Headers = Record<string, string | string[] | undefined>;

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

function fail(reason: SignatureFailure, message: string): Refused {
  return { ok: false, reason, message };
}

/** A signed timestamp: the header it came in and its value. */
interface SignedTimestamp {
  header: string;
  value: string;
}

interface SignedHeaders {
  signature: string;
  timestamp: SignedTimestamp | undefined;
}

/** The first of the configured timestamp headers the request has. */
function firstTimestamp(names: readonly string[], headers: Headers): SignedTimestamp | undefined {
  for (const name of names) {
    const value = header(headers, name);
    if (value !== undefined) return { header: name, value };
  }
  return undefined;
}

/**
 * The header half of the check, made before the body is read: a request without a signature,
 * or without a fresh timestamp when one is required, is refused without reading or hashing
 * its body at all.
 */
export function checkGrafanaHeaders(settings: GrafanaSignatureSettings, headers: Headers, nowMs: number): ({ ok: true } & SignedHeaders) | Refused {
  const signature = header(headers, settings.header) ?? header(headers, GRAFANA_BUILTIN_HEADER);
  if (!signature) {
    return fail("signature_missing", `no signature header: expected ${settings.header} (or ${GRAFANA_BUILTIN_HEADER}); set the contact point's HMAC secret, or --grafana-signature-header to the header it uses`);
  }
  const timestamp = firstTimestamp(settings.timestampHeaders, headers);
  if (timestamp === undefined && settings.requireTimestamp) {
    return fail(
      "timestamp_missing",
      `no timestamp header: expected one of ${settings.timestampHeaders.join(", ")}; set the contact point's HMAC "Timestamp Header" to ${settings.timestampHeaders[0] ?? "one of them"} (a delivery without a signed timestamp could be replayed forever), or name yours with --grafana-timestamp-header`,
    );
  }
  if (timestamp !== undefined) {
    if (!/^\d{1,12}$/.test(timestamp.value)) return fail("timestamp_invalid", `${timestamp.header} must be Unix seconds`);
    if (Math.abs(nowMs / 1000 - Number(timestamp.value)) > settings.maxSkewSeconds) {
      return fail("timestamp_skew", `${timestamp.header} is more than ${settings.maxSkewSeconds} s from this receiver's clock: a replay, or clocks out of sync`);
    }
  }
  return { ok: true, signature, timestamp };
}

/**
 * Verifies a Grafana webhook before its body is parsed: hex HMAC-SHA256 with the shared
 * secret over the raw body, or over "<timestamp>:<body>" when a timestamp header is present
 * (Unix seconds, within maxSkewSeconds of now). A valid signature seen before is a replay.
 * Failures say which header was missing or wrong, never anything about the secret.
 */
export function verifyGrafanaSignature(settings: GrafanaSignatureSettings, headers: Headers, rawBody: string, nowMs: number, replays: ReplayCache): SignatureCheck {
  const signed = checkGrafanaHeaders(settings, headers, nowMs);
  if (!signed.ok) return signed;
  const { signature, timestamp } = signed;
  const expected = createHmac("sha256", settings.secret).update(timestamp === undefined ? rawBody : `${timestamp.value}:${rawBody}`).digest("hex");
  if (!safeEqual(signature.trim().toLowerCase(), expected)) {
    return fail("signature_invalid", `the signature in ${settings.header} does not match the body${timestamp === undefined ? "" : ` and ${timestamp.header}`}: check the contact point's HMAC secret`);
  }
  if (replays.has(expected, nowMs)) return fail("replayed", "this signed delivery was acted on before: a replay");
  const replayTtlMs = (timestamp === undefined ? settings.replayWindowSeconds : 2 * settings.maxSkewSeconds) * 1000;
  return { ok: true, signature: expected, replayTtlMs };
}
