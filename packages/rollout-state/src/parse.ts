import { CasContractError, InvalidStateError } from "./errors.js";
import { AuditEntrySchema, MAX_REVISION, RolloutStateSchema, type AuditEntry, type RolloutState } from "./schema.js";

/** Parses a stored state document; any defect becomes an InvalidStateError naming the source and field. */
export function parseStoredState(source: string, raw: string, deployment: string): RolloutState {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    throw new InvalidStateError(source, "", `not valid JSON (${(error as Error).message})`, "not valid JSON");
  }
  const result = RolloutStateSchema.safeParse(json);
  if (!result.success) throw InvalidStateError.fromZod(source, result.error);
  if (result.data.deployment !== deployment) {
    throw new InvalidStateError(source, "deployment", `names "${result.data.deployment}" but is stored for "${deployment}"`);
  }
  // No write can follow this revision (the next one would not be a safe integer), so
  // rather than let every rollback fail while routers keep the canary, the state is
  // unreadable: routers fail closed to baseline and the error says how to repair it.
  if (result.data.revision >= MAX_REVISION) {
    throw new InvalidStateError(source, "revision", `is ${result.data.revision}, the largest revision there can be; no write can follow it (set it to the revision of the last audit entry)`);
  }
  return result.data;
}

export function parseAuditLine(source: string, raw: string): AuditEntry {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    throw new InvalidStateError(source, "", `audit line is not valid JSON (${(error as Error).message})`, "audit line is not valid JSON");
  }
  const result = AuditEntrySchema.safeParse(json);
  if (!result.success) throw InvalidStateError.fromZod(source, result.error);
  return result.data;
}

/**
 * Both stores refuse a write whose arithmetic is wrong before touching storage,
 * so a buggy caller cannot produce a state whose revision skips or an audit entry
 * that describes another write.
 */
export function checkCasArguments(
  deployment: string,
  expectedRevision: number | null,
  next: RolloutState,
  audit: AuditEntry,
): RolloutState {
  const parsed = RolloutStateSchema.parse(next);
  const wantRevision = expectedRevision === null ? 0 : expectedRevision + 1;
  if (parsed.deployment !== deployment) throw new CasContractError(`next.deployment is "${parsed.deployment}", expected "${deployment}"`);
  if (parsed.revision !== wantRevision) throw new CasContractError(`next.revision must be ${wantRevision}, got ${parsed.revision}`);
  AuditEntrySchema.parse(audit);
  if (audit.deployment !== deployment || audit.toRevision !== wantRevision || audit.fromRevision !== expectedRevision) {
    throw new CasContractError(`audit entry must move ${deployment} from revision ${String(expectedRevision)} to ${wantRevision}`);
  }
  return parsed;
}

/** A record entry (no state change) carries the current revision on both sides. */
export function checkRecordEntry(deployment: string, entry: AuditEntry, revision: number | null): AuditEntry {
  if (revision === null) throw new CasContractError(`cannot record an event for ${deployment}: it has no state yet`);
  const parsed = AuditEntrySchema.parse({ ...entry, fromRevision: revision, toRevision: revision });
  if (parsed.deployment !== deployment) throw new CasContractError(`entry.deployment is "${parsed.deployment}", expected "${deployment}"`);
  return parsed;
}
