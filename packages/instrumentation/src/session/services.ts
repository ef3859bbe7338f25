import type { Tracer } from "@opentelemetry/api";
import type { PriceBook } from "../cost/prices.js";
import type { GuardsConfig } from "../guards/config.js";
import type { Router } from "../routing/router.js";
import type { GateInputs } from "../telemetry/gate-inputs/gate-inputs.js";
import type { OnceLogger } from "../telemetry/logger.js";
import type { Instruments } from "../telemetry/metrics.js";
import type { Safely } from "../telemetry/safely.js";

/** What a session needs from the runtime that created it. */
export interface SessionServices {
  readonly deployment: string;
  readonly agentName: string;
  readonly tracer: Tracer;
  readonly instruments: Instruments;
  readonly gateInputs: GateInputs;
  readonly log: OnceLogger;
  readonly safely: Safely;
  readonly guards: GuardsConfig;
  readonly prices: PriceBook;
  readonly router: Router;
}
