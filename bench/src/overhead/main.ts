/**
 * Instrumentation overhead per LLM call and memory per live session.
 * Every variant runs in its own process (patching is process-wide), rounds
 * interleave the variants so drifting machine load hits them all alike.
 * Writes results/overhead.md (per call) and results/memory.md (per live session).
 *   node --expose-gc src/overhead/main.ts [--part latency|memory|all] [--calls 20000] [--rounds 5] [--sessions 10000]
 *     [--variants none-ai7,ours-ai7,ours-ai7mw --out overhead-ai7]   (a subset, written to results/<out>.md)
 */
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { runJsonChild } from "../lib/child.ts";
import { fmt, table, writeResult } from "../lib/report.ts";
import { median, quantile } from "../lib/stats.ts";
import type { LatencyResult, MemoryResult } from "./variant.ts";
import { parseVariant, VARIANTS, type VariantName } from "./variants.ts";

const SCRIPT = fileURLToPath(new URL("./variant.ts", import.meta.url));
const FLAGS = ["--expose-gc"];

interface Collected {
  describe: string;
  roundMedians: number[];
  sessionUs: number[];
  pooled: number[];
  spans: number;
  spanNames: Record<string, number>;
  error?: string;
}

async function collectLatency(variants: readonly VariantName[], calls: number, rounds: number): Promise<Map<VariantName, Collected>> {
  const out = new Map<VariantName, Collected>();
  for (let r = 0; r < rounds; r++) {
    for (const name of variants) {
      const entry = out.get(name) ?? { describe: name, roundMedians: [], sessionUs: [], pooled: [], spans: 0, spanNames: {} };
      out.set(name, entry);
      if (entry.error) continue;
      try {
        const res = await runJsonChild<LatencyResult>(SCRIPT, [name, "latency", String(calls)], FLAGS);
        Object.assign(entry, { describe: res.describe, spans: res.spans, spanNames: res.spanNames });
        entry.roundMedians.push(median(res.samplesUs));
        entry.pooled.push(...res.samplesUs);
        entry.sessionUs.push(...res.sessionUs);
      } catch (error) {
        entry.error = (error as Error).message;
      }
    }
  }
  return out;
}

interface MemoryCollected {
  describe: string;
  heaps: number[];
  /** Heap growth from idle to all sessions live, per run. */
  growth: number[];
  error?: string;
}

async function collectMemory(sessions: number, rounds: number): Promise<Map<VariantName, MemoryCollected>> {
  const out = new Map<VariantName, MemoryCollected>();
  const names: VariantName[] = ["none-openai6", "ours-openai6", "none-openai7", "ours-openai7", "peer-openai6"];
  for (let r = 0; r < rounds; r++) {
    for (const name of names) {
      const entry: MemoryCollected = out.get(name) ?? { describe: name, heaps: [], growth: [] };
      out.set(name, entry);
      if (entry.error) continue;
      try {
        const res = await runJsonChild<MemoryResult>(SCRIPT, [name, "memory", String(sessions)], FLAGS);
        entry.describe = res.describe;
        entry.heaps.push(res.heapUsedBytes);
        entry.growth.push(res.heapUsedBytes - res.idleHeapBytes);
      } catch (error) {
        entry.error = (error as Error).message;
      }
    }
  }
  return out;
}

/** The same stack uninstrumented, measured in the same run. */
function baselineOf(name: VariantName): VariantName {
  return `none-${parseVariant(name).stack}` as VariantName;
}

/** The peer instrumentation on the same stack, where the bench has one. */
function peerOf(name: VariantName): VariantName | undefined {
  const peer = `peer-${parseVariant(name).stack}` as VariantName;
  return VARIANTS.includes(peer) ? peer : undefined;
}

function latencySection(variants: readonly VariantName[], data: Map<VariantName, Collected>, calls: number, rounds: number): string {
  const addedOf = (name: VariantName): number => median(data.get(name)?.roundMedians ?? []) - median(data.get(baselineOf(name))?.roundMedians ?? []);
  const rows = variants.map((name) => {
    const e = data.get(name);
    if (!e || e.error) return [name, e?.error ?? "not run", "", "", "", "", "", ""];
    const med = median(e.roundMedians);
    const { kind } = parseVariant(name);
    const added = kind === "none" ? 0 : addedOf(name);
    const peer = peerOf(name);
    const peerAdded = peer ? addedOf(peer) : 0;
    const ours = kind === "ours" || kind === "spans";
    const ratio = ours && peerAdded > 0 ? `${fmt(added / peerAdded, 2)}x` : "";
    const spans = Object.entries(e.spanNames).map(([k, v]) => `${k.split(" ")[0]}: ${fmt(v / calls, 2)}/call`).join(", ");
    const session = ours ? fmt(median(e.sessionUs)) : "";
    return [name, e.describe, fmt(med), fmt(quantile(e.pooled, 0.99)), kind === "none" ? "baseline" : fmt(added), ratio, session, spans];
  });
  return [
    `One LLM call per stack's usual path with a canned response (an injected fetch or request handler; no network): openai chat.completions.create, @anthropic-ai/sdk messages.create, @google/genai generateContent, Bedrock Converse, and the AI SDK's generateText (ai 7, recorded through agent-canary's telemetry integration). "spans" is openai with @opentelemetry/instrumentation-openai, its GenAI spans read by AgentCanarySpanProcessor (no agent-canary patch).`,
    "",
    `${calls.toLocaleString("en-US")} timed calls per variant per round after a warm-up, ${rounds} rounds interleaved, each variant in a fresh process. ` +
      `Median = median of the per-round medians; p99 over all rounds' calls pooled. ` +
      `"Added" = variant median minus the uninstrumented median of the same stack; "vs peer" = our added time / the peer instrumentation's added time on the same stack (openai: @opentelemetry/instrumentation-openai; ai: @ai-sdk/otel). ` +
      `Sessions have ${8} calls; "session start+end" is, per session, its wall time minus its calls' time (routing decision and pinning, invoke_agent span, session metrics), once per session, not per call.`,
    "",
    table(["variant", "setup", "median µs/call", "p99 µs/call", "added µs/call", "vs peer", "session start+end µs (median)", "spans exported"], rows),
  ].join("\n");
}

function memorySection(data: Map<VariantName, MemoryCollected>, sessions: number, rounds: number): string {
  const rows: string[][] = [];
  const kib = (bytes: number): string => `${fmt(bytes / sessions / 1024, 2)} KiB`;
  for (const [name, e] of data) {
    if (e.error) {
      rows.push([name, e.error, "", "", ""]);
      continue;
    }
    const heap = median(e.heaps);
    const base = data.get(baselineOf(name));
    const isBase = name.startsWith("none");
    const simple = isBase ? "baseline" : kib(heap - median(base?.heaps ?? []));
    const marginal = isBase ? "baseline" : kib(median(e.growth) - median(base?.growth ?? []));
    rows.push([name, e.describe, fmt(heap / 2 ** 20, 1), simple, marginal]);
  }
  return [

    `${sessions.toLocaleString("en-US")} sessions started at once, each made one LLM call, holds the response and waits (all live). ` +
      `Heap used after 4 forced GCs (--expose-gc), median of ${rounds} runs. "Per live session, total" = (variant heap − uninstrumented heap with the same agent work) / ${sessions.toLocaleString("en-US")}, which also spreads the library's one-off cost (code, instruments, runtime) over the sessions; ` +
      `"marginal" = (variant's growth from idle to all live − the uninstrumented growth) / ${sessions.toLocaleString("en-US")}, what each additional live session costs. Target: at most 3.3 KiB (issue 11).`,
    "",
    table(["variant", "setup", "heap used MiB", "per live session, total", "per live session, marginal"], rows),
  ].join("\n");
}

/** A subset of the variants, each with its uninstrumented baseline and its peer, which its figures need. */
function variantsOf(list: string): VariantName[] {
  const names = list.split(",").map((s) => s.trim()).filter(Boolean);
  const unknown = names.filter((n) => !(VARIANTS as readonly string[]).includes(n));
  if (unknown.length > 0) throw new Error(`--variants: unknown variant ${unknown.join(", ")}; known: ${VARIANTS.join(", ")}`);
  const needed = new Set(names.flatMap((n) => [baselineOf(n as VariantName), peerOf(n as VariantName), n as VariantName]));
  return VARIANTS.filter((v) => needed.has(v));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      part: { type: "string", default: "all" },
      calls: { type: "string", default: "20000" },
      rounds: { type: "string", default: "5" },
      sessions: { type: "string", default: "10000" },
      variants: { type: "string" },
      out: { type: "string", default: "overhead" },
    },
  });
  const calls = Number(values.calls);
  const rounds = Number(values.rounds);
  const sessions = Number(values.sessions);
  const variants = values.variants ? variantsOf(values.variants) : VARIANTS;
  if (values.part !== "memory") writeResult(values.out!, "Instrumentation overhead per LLM call", latencySection(variants, await collectLatency(variants, calls, rounds), calls, rounds));
  if (values.part !== "latency") writeResult("memory", "Memory per live session", memorySection(await collectMemory(sessions, rounds), sessions, rounds));
}

await main();
