import { createHash, timingSafeEqual } from "node:crypto";
import type { BasicCredential } from "./config.js";

/**
 * Constant-time equality on SHA-256 digests: comparing digests rather than the
 * secrets themselves keeps the comparison length-independent, so neither a
 * secret's content nor its length leaks through timing.
 */
export function safeEqual(given: string, expected: string): boolean {
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

/** Checks every configured credential (no early exit) so timing does not tell which one matched. */
function anyMatches(given: string, candidates: readonly string[]): boolean {
  let matched = false;
  for (const candidate of candidates) matched = safeEqual(given, candidate) || matched;
  return matched;
}

export interface Credentials {
  bearerTokens: readonly string[];
  basic: readonly BasicCredential[];
}

/** Is this Authorization header one of the configured bearer tokens or basic credentials? */
export function authorized(header: string | undefined, credentials: Credentials): boolean {
  if (!header) return false;
  const space = header.indexOf(" ");
  if (space < 0) return false;
  const scheme = header.slice(0, space).toLowerCase();
  const value = header.slice(space + 1).trim();
  if (scheme === "bearer") return anyMatches(value, credentials.bearerTokens);
  if (scheme === "basic") {
    const decoded = Buffer.from(value, "base64").toString("utf8");
    return anyMatches(decoded, credentials.basic.map((c) => `${c.username}:${c.password}`));
  }
  return false;
}
