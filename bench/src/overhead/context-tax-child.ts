/**
 * One stack's uninstrumented call, timed bare or inside async scopes, in this
 * process; prints one JSON line. Run by context-tax.ts, or alone:
 *   node src/overhead/context-tax-child.ts bedrock3 otel [calls]
 * Modes: bare (no scope ever entered), otel (inside an OpenTelemetry context,
 * as every call in a session runs), otel+als (and inside one more
 * AsyncLocalStorage, as sessions ran before they became a context value).
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { context, createContextKey } from "@opentelemetry/api";
import { median } from "../lib/stats.ts";
import { setupOtel } from "./otel-setup.ts";
import { STACKS, type StackName } from "./stacks/index.ts";

export const SCOPE_MODES = ["bare", "otel", "otel+als"] as const;
export type ScopeMode = (typeof SCOPE_MODES)[number];

const KEY = createContextKey("context-tax");
const extra = new AsyncLocalStorage<number>();

function inScope(mode: ScopeMode, i: number, work: () => Promise<void>): Promise<void> {
  if (mode === "bare") return work();
  const withOtel = () => context.with(context.active().setValue(KEY, i), work);
  return mode === "otel" ? withOtel() : extra.run(i, withOtel);
}

async function main(): Promise<void> {
  const [stack, mode, callsArg] = process.argv.slice(2) as [StackName, ScopeMode, string | undefined];
  if (!(stack in STACKS)) throw new Error(`stack must be one of ${Object.keys(STACKS).join(", ")}`);
  if (!SCOPE_MODES.includes(mode)) throw new Error(`mode must be one of ${SCOPE_MODES.join(", ")}`);
  const calls = Number(callsArg ?? 5000);
  const otel = setupOtel();
  const { call } = await STACKS[stack].load("none", otel);
  const samples: number[] = [];
  const run = async (n: number, sink?: number[]) => {
    for (let i = 0; i < n; i++) {
      await inScope(mode, i, async () => {
        const start = performance.now();
        await call(i);
        sink?.push((performance.now() - start) * 1000);
      });
    }
  };
  await run(Math.min(3000, calls)); // warm-up
  await run(calls, samples);
  process.stdout.write(`${JSON.stringify({ stack, mode, medianUs: median(samples) })}\n`);
  await otel.tracerProvider.shutdown();
  await otel.meterProvider.shutdown();
}

await main();
