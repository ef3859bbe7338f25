import type { RunRecord } from "../run/run-record.js";

/**
 * `value` when JSON can carry it, or a note saying why not. Tool arguments and
 * inputs come from agent code and models: a BigInt or a cycle in one of them
 * must cost that value, never the whole comparison line.
 */
export function jsonSafe(value: unknown): unknown {
  if (value === null || typeof value === "string" || typeof value === "boolean" || (typeof value === "number" && Number.isFinite(value))) return value;
  try {
    JSON.stringify(value);
    return value;
  } catch (error) {
    return { unserializable: error instanceof Error ? error.message : String(error) };
  }
}

/** A run whose tool arguments JSON can carry, for a line about to be written. */
export function jsonSafeRun(run: RunRecord): RunRecord {
  return { ...run, toolCalls: run.toolCalls.map((call) => ({ ...call, arguments: jsonSafe(call.arguments) })) };
}
