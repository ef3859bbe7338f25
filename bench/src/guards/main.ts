/**
 * Loop detector and cost accounting throughput, each against a named naive
 * baseline measured in the same run. node src/guards/main.ts
 */
import { callSignature, LoopDetector, PriceBook } from "@agent-canary/instrumentation";
import { calcPrice } from "@pydantic/genai-prices";
import { fmt, table, writeResult } from "../lib/report.ts";
import { throughputs, type Throughput } from "../lib/throughput.ts";
import { NaiveLoopDetector } from "./naive.ts";

const CALLS = 200_000;
const MAX_CYCLE = 3;
const REPEATS = 3;

interface ToolCall {
  /** First call of a new session: the detector starts empty. */
  fresh: boolean;
  name: string;
  args: string;
  signature: string;
}

/** Sessions of `perSession` tool calls over a few tools with varied arguments, no loops. */
function toolCalls(perSession: number): ToolCall[] {
  const tools = ["lookup_order", "search_kb", "refund", "escalate"];
  return Array.from({ length: CALLS }, (_, i) => {
    const name = tools[(i * 7) % tools.length] ?? "lookup_order";
    const args = JSON.stringify({ order_id: `A-${(i * 31) % 997}`, locale: "en", page: i % 5 });
    return { fresh: i % perSession === 0, name, args, signature: callSignature(name, args) };
  });
}

function loopBenchmarks(perSession: number): Throughput[] {
  const calls = toolCalls(perSession);
  let ours = new LoopDetector({ maxCycleLength: MAX_CYCLE, repeats: REPEATS });
  let naive = new NaiveLoopDetector(MAX_CYCLE, REPEATS);
  let ours2 = new LoopDetector({ maxCycleLength: MAX_CYCLE, repeats: REPEATS });
  return throughputs(
    [
      {
        name: `naive: whole history, joined slices per call (${perSession} calls/session)`,
        decide: (c: ToolCall) => {
          if (c.fresh) naive = new NaiveLoopDetector(MAX_CYCLE, REPEATS);
          return !naive.record(c.signature);
        },
      },
      {
        name: `ours: LoopDetector.record, bounded tail (${perSession} calls/session)`,
        decide: (c: ToolCall) => {
          if (c.fresh) ours = new LoopDetector({ maxCycleLength: MAX_CYCLE, repeats: REPEATS });
          return !ours.record(c.signature);
        },
      },
      {
        name: `ours incl. callSignature (parse + canonical JSON of the arguments)`,
        decide: (c: ToolCall) => {
          if (c.fresh) ours2 = new LoopDetector({ maxCycleLength: MAX_CYCLE, repeats: REPEATS });
          return !ours2.record(callSignature(c.name, c.args));
        },
      },
    ],
    calls,
  );
}

interface PricedCall {
  model: string;
  usage: { inputTokens: number; outputTokens: number; cachedInputTokens: number };
}

function costBenchmarks(): Throughput[] {
  // Exact names, dated snapshots (prefix match) and one unpriced model, as production traffic mixes them.
  const models = ["gpt-4o-mini", "gpt-4o-mini-2024-07-18", "claude-sonnet-4-5-20250929", "gpt-5", "o4-mini-2025-04-16", "my-finetune"];
  const calls: PricedCall[] = Array.from({ length: CALLS }, (_, i) => ({
    model: models[i % models.length] ?? "gpt-4o-mini",
    usage: { inputTokens: 400 + (i % 300), outputTokens: 30 + (i % 50), cachedInputTokens: i % 3 === 0 ? 256 : 0 },
  }));
  const book = new PriceBook();
  // The dataset's own calculator per call: what calling @pydantic/genai-prices directly would cost.
  const direct = (c: PricedCall): number | undefined =>
    calcPrice({ input_tokens: c.usage.inputTokens, output_tokens: c.usage.outputTokens, cache_read_tokens: c.usage.cachedInputTokens }, c.model)?.total_price;
  // Both must agree on every call, or the comparison means nothing.
  for (const c of calls.slice(0, 1000)) {
    const a = book.cost(c.model, c.usage);
    const b = direct(c);
    if (a.known ? b === undefined || Math.abs(a.usd - b) > 1e-12 : b !== undefined) throw new Error(`PriceBook and calcPrice disagree on ${c.model}`);
  }
  return throughputs(
    [
      { name: "naive: @pydantic/genai-prices calcPrice per call (dataset scan)", decide: (c: PricedCall) => direct(c) !== 0 },
      { name: "ours: PriceBook.cost (dataset resolution cached per model)", decide: (c: PricedCall) => book.cost(c.model, c.usage) },
    ],
    calls,
  );
}

function rowsOf(results: Throughput[]): string[][] {
  const base = results[0]?.opsPerSecond ?? Number.NaN;
  return results.map((t) => [t.name, fmt(t.opsPerSecond / 1e6, 2), fmt(1e9 / t.opsPerSecond, 0), `${fmt(t.opsPerSecond / base, 2)}x`]);
}

function main(): void {
  const header = ["implementation", "million calls / s", "ns per call", "vs naive"];
  const loops = [...loopBenchmarks(10), ...loopBenchmarks(100)];
  const loopRows = [...rowsOf(loops.slice(0, 3)), ...rowsOf(loops.slice(3))];
  writeResult(
    "guards",
    "Loop detector and cost accounting throughput",
    `One core, ${CALLS.toLocaleString("en-US")} calls per round, median of 7 interleaved rounds after a warm-up; ratios against the naive baseline in the same table.\n\n` +
      `## Loop detector (cycles up to ${MAX_CYCLE} calls, ${REPEATS} repeats; non-looping traffic, the common case)\n\n` +
      `Signatures are precomputed for the first two rows, so they compare the detection algorithms alone; the third adds what the session does per tool call to build the signature.\n\n` +
      `${table(header, loopRows)}\n\n## Cost accounting per LLM call\n\nA mix of exact model names, dated snapshots and an unpriced model, priced from the @pydantic/genai-prices dataset; both implementations were checked to give the same USD on 1,000 calls.\n\n` +
      table(header, rowsOf(costBenchmarks())),
  );
}

main();
