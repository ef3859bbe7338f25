import type { Attributes, Tracer } from "@opentelemetry/api";
import type { PriceBook } from "../cost/prices.js";
import type { OnceLogger } from "../telemetry/logger.js";
import type { Instruments } from "../telemetry/metrics.js";
import type { Safely } from "../telemetry/safely.js";

/** What recording a call needs: the session's services inside a session, the instrumentation's own outside. */
export interface CallEnv {
  readonly tracer: Tracer;
  readonly instruments: Instruments;
  readonly prices: PriceBook;
  readonly log: OnceLogger;
  readonly safely: Safely;
  /** Labels for calls outside a session (a session's own labels apply inside one). */
  readonly outsideSessionLabels?: Attributes;
}
