import { createHmac } from "node:crypto";
import { safeEqual } from "./auth.js";

export interface GrafanaSignatureSettings {
  secret: string;
  header: string;
  timestampHeader: string;
  maxSkewSeconds: number;
  requireTimestamp: boolean;
}

/** Grafana names the header X-Grafana-Alert-Signature when the contact point leaves it empty. */
const GRAFANA_BUILTIN_HEADER = "x-grafana-alert-signature";

export type SignatureCheck = { ok: true } | { ok: false; reason: "signature_missing" | "signature_invalid" | "timestamp_missing" | "timestamp_invalid" | "timestamp_skew" };

type Headers = Record<string, string | string[] | undefined>;

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Verifies a Grafana webhook: hex HMAC-SHA256 with the shared secret over the raw
 * body, or over "<timestamp>:<body>" when Grafana sends a timestamp header (Unix
 * seconds), which must then be within maxSkewSeconds of now.
 */
export function verifyGrafanaSignature(settings: GrafanaSignatureSettings, headers: Headers, rawBody: string, nowMs: number): SignatureCheck {
  const signature = header(headers, settings.header) ?? header(headers, GRAFANA_BUILTIN_HEADER);
  if (!signature) return { ok: false, reason: "signature_missing" };
  const timestamp = header(headers, settings.timestampHeader);
  if (timestamp === undefined && settings.requireTimestamp) return { ok: false, reason: "timestamp_missing" };
  let signed = rawBody;
  if (timestamp !== undefined) {
    if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: "timestamp_invalid" };
    if (Math.abs(nowMs / 1000 - Number(timestamp)) > settings.maxSkewSeconds) return { ok: false, reason: "timestamp_skew" };
    signed = `${timestamp}:${rawBody}`;
  }
  const expected = createHmac("sha256", settings.secret).update(signed).digest("hex");
  return safeEqual(signature.trim().toLowerCase(), expected) ? { ok: true } : { ok: false, reason: "signature_invalid" };
}
