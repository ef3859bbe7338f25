/**
 * A JSON snapshot of `value`, taken now (so later changes by the agent do not
 * rewrite the record), or a note saying why JSON cannot carry it. Tool
 * arguments and inputs come from agent code and models: a BigInt or a cycle in
 * one of them must cost that value, never the whole comparison line.
 */
export function jsonSafe(value: unknown): unknown {
  try {
    const text = JSON.stringify(value);
    return text === undefined ? undefined : (JSON.parse(text) as unknown);
  } catch (error) {
    return { unserializable: error instanceof Error ? error.message : String(error) };
  }
}
