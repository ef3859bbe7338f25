import { createHash, randomUUID } from "node:crypto";
import type { SessionInit } from "../session/session.js";

const LIMITS = { id: 512, tenant: 256, routingKey: 512 } as const;
type Field = keyof typeof LIMITS;

/** Warns once per key (OnceLogger.warnOnce). */
type WarnOnce = (key: string, message: string) => void;

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/**
 * One identifier of session(): a usable string, or undefined when there is
 * none. A number becomes its decimal text, an overlong value its SHA-256
 * (deterministic, so routing and pinning still hold), and each kind of
 * oddity is warned about once.
 */
function identifier(field: Field, value: unknown, warn: WarnOnce): string | undefined {
  if (typeof value === "string" && value.length > 0 && value.length <= LIMITS[field]) return value;
  if (typeof value === "number" || typeof value === "bigint") {
    warn(`session-init:${field}:number`, `session() got a number as ${field} (${String(value)}); it is used as the string "${String(value)}". Pass strings.`);
    return String(value);
  }
  if (typeof value === "string" && value.length > LIMITS[field]) {
    warn(
      `session-init:${field}:long`,
      `session() got a ${field} of ${value.length} characters (over ${LIMITS[field]}); its SHA-256 is used instead, so routing and pinning still hold. Pass a shorter ${field}.`,
    );
    return sha256(value);
  }
  if (value !== undefined) {
    warn(`session-init:${field}:unusable`, `session() got an unusable ${field} (${value === "" ? "an empty string" : typeof value}); it is ignored.`);
  }
  return undefined;
}

/**
 * What session() routes by, never throwing: an agent must not stop because
 * of its own session id. A missing or empty id gets a random one (the session
 * is routed on its own and cannot be resumed), warned about once.
 */
export function normaliseSessionInit(init: unknown, warn: WarnOnce): SessionInit {
  const fields = typeof init === "object" && init !== null ? (init as Record<string, unknown>) : {};
  let id = identifier("id", fields.id, warn);
  if (id === undefined) {
    warn(
      "session-init:id:missing",
      "session() got no usable id: each such session gets a random one, so it is routed on its own and cannot be resumed in its group. Pass the conversation or task id: session({ id }, fn).",
    );
    id = randomUUID();
  }
  const tenant = identifier("tenant", fields.tenant, warn);
  const routingKey = identifier("routingKey", fields.routingKey, warn);
  return { id, ...(tenant === undefined ? {} : { tenant }), ...(routingKey === undefined ? {} : { routingKey }) };
}
