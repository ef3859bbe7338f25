import type { RunRecord, ToolCallRecord } from "../run/run-record.js";

/**
 * An error the shadow itself raises (a timeout, a refused tool call, an
 * invalid answer). Its message never holds an input, a tool argument or an
 * output, so it is recorded even when the shadow keeps no inputs.
 */
export class ShadowError extends Error {}

/** What is recorded of `error`: its message, or, when inputs are not kept, only its name unless the shadow raised it. */
export function errorText(error: unknown, keepInputs: boolean): string {
  if (error instanceof ShadowError || keepInputs) return error instanceof Error ? error.message : String(error);
  // Agent, tool and SDK errors often quote what they were given.
  return `${error instanceof Error ? error.name : typeof error}: message withheld (keepInputs: false)`;
}

function withholdCall(call: ToolCallRecord): ToolCallRecord {
  const { arguments: _arguments, key: _key, ...kept } = call;
  return kept;
}

/**
 * A run record without its output, tool arguments or keys, for `keepInputs: false`.
 * Error messages were already withheld where they were recorded (errorText).
 */
export function withholdRun(run: RunRecord): RunRecord {
  return { ...run, output: "", toolCalls: run.toolCalls.map(withholdCall) };
}
