import type { OtelHandles } from "../otel-setup.ts";
import type { Kind } from "../variants.ts";

/** A stack as the overhead bench drives it: the model call of one agent turn, with a canned response (no network). */
export interface BenchStack {
  readonly model: string;
  /** The generation params its calls send (default { temperature: 0.2 }). */
  readonly params?: Record<string, unknown>;
  load(kind: Kind, otel: OtelHandles): Promise<{ call: (turn: number) => Promise<unknown>; describe: string; instrumentTarget?: unknown }>;
}

/** The same canned body on every call through an injected fetch. */
export function fetchReturning(body: (n: number) => string, contentType = "application/json"): typeof fetch {
  let n = 0;
  return async () => new Response(body(n++), { status: 200, headers: { "content-type": contentType, "x-request-id": "req_bench" } });
}
