import type { OtelHandles } from "./otel-setup.ts";
import type { SessionWrap } from "./variants.ts";

/** agent-canary wired the way a user would: register() on the same OTel SDK, sessions around agent work. */
export async function oursRuntime(_mod: unknown, _otel: OtelHandles): Promise<{ inSession: SessionWrap; describe: string }> {
  throw new Error("@agent-canary/instrumentation does not export register()/session() yet");
}
