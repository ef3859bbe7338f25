/**
 * Runs one variant in this process and prints one JSON line. Run by main.ts
 * in a fresh process per variant (patching is process-wide), or alone:
 *   node --expose-gc src/overhead/variant.ts ours-openai7 latency [calls]
 *   node --expose-gc src/overhead/variant.ts ours-openai7 memory [sessions] [heap snapshot file]
 */
import { writeHeapSnapshot } from "node:v8";
import { setupOtel, type OtelHandles } from "./otel-setup.ts";
import { loadVariant, VARIANTS, type LoadedVariant, type VariantName } from "./variants.ts";

export interface LatencyResult {
  variant: VariantName;
  describe: string;
  calls: number;
  /** Per-call wall time in microseconds, in call order. */
  samplesUs: number[];
  spans: number;
  spanNames: Record<string, number>;
  /** Per session: its wall time minus its calls' time (routing, span and metric work at start and end), µs. */
  sessionUs: number[];
}

export interface MemoryResult {
  variant: VariantName;
  describe: string;
  sessions: number;
  /** Heap after warm-up with no session live (library, instruments, caches in place). */
  idleHeapBytes: number;
  heapUsedBytes: number;
}

const TURNS_PER_SESSION = 8;

async function call(v: LoadedVariant, turn: number): Promise<unknown> {
  return await v.call(turn);
}

/**
 * Sessions of a few turns, each call timed on its own; session start and end
 * are outside the per-call figures and reported apart in `sessionSink`.
 */
async function runCalls(v: LoadedVariant, calls: number, sink?: Float64Array, sessionSink?: number[]): Promise<void> {
  let done = 0;
  for (let s = 0; done < calls; s++) {
    let inCalls = 0;
    const sessionStart = performance.now();
    await v.inSession(`bench-${s}`, async () => {
      for (let t = 0; t < TURNS_PER_SESSION && done < calls; t++, done++) {
        const start = performance.now();
        await call(v, t);
        const took = performance.now() - start;
        inCalls += took;
        if (sink) sink[done] = took * 1000;
      }
    });
    sessionSink?.push((performance.now() - sessionStart - inCalls) * 1000);
  }
}

async function latency(name: VariantName, otel: OtelHandles, v: LoadedVariant, calls: number): Promise<LatencyResult> {
  await runCalls(v, Math.min(5000, calls)); // warm-up: JIT, instrument caches, attribute sets
  const samples = new Float64Array(calls);
  const before = otel.spans.count;
  otel.spans.names.clear();
  const sessionUs: number[] = [];
  await runCalls(v, calls, samples, sessionUs);
  return {
    variant: name,
    describe: v.describe,
    calls,
    samplesUs: Array.from(samples, (x) => Math.round(x * 100) / 100),
    spans: otel.spans.count - before,
    spanNames: Object.fromEntries(otel.spans.names),
    sessionUs: sessionUs.map((x) => Math.round(x * 100) / 100),
  };
}

function forceGc(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error("run with --expose-gc");
  for (let i = 0; i < 4; i++) gc();
}

/**
 * Starts `count` sessions, each makes one LLM call and then waits (live),
 * holding its response like an agent mid-task. Heap after forced GC.
 */
async function memory(name: VariantName, v: LoadedVariant, count: number, snapshotFile?: string): Promise<MemoryResult> {
  await runCalls(v, 2000); // same warm-up as latency, so lazily built structures exist in every variant
  forceGc();
  const idleHeapBytes = process.memoryUsage().heapUsed;
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let started = 0;
  let ready!: () => void;
  const allStarted = new Promise<void>((resolve) => (ready = resolve));
  const held: unknown[] = [];
  const live = Array.from({ length: count }, (_, i) =>
    v.inSession(`live-${i}`, async () => {
      held[i] = await call(v, i);
      if (++started === count) ready();
      await gate;
    }),
  );
  await allStarted;
  forceGc();
  const heapUsedBytes = process.memoryUsage().heapUsed;
  if (snapshotFile) writeHeapSnapshot(snapshotFile);
  release();
  await Promise.all(live);
  return { variant: name, describe: v.describe, sessions: count, idleHeapBytes, heapUsedBytes };
}

async function main(): Promise<void> {
  const [name, mode = "latency", countArg, snapshotFile] = process.argv.slice(2);
  if (!VARIANTS.includes(name as VariantName)) throw new Error(`variant must be one of ${VARIANTS.join(", ")}`);
  const otel = setupOtel();
  const v = await loadVariant(name as VariantName, otel);
  const result =
    mode === "memory"
      ? await memory(name as VariantName, v, Number(countArg ?? 10_000), snapshotFile)
      : await latency(name as VariantName, otel, v, Number(countArg ?? 20_000));
  process.stdout.write(`${JSON.stringify(result)}\n`);
  await otel.tracerProvider.shutdown();
  await otel.meterProvider.shutdown();
}

await main();
