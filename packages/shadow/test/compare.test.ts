import { describe, expect, it } from "vitest";
import { bandOf, compareKeyMetrics, judgeTrigger, lexicalSimilarity, type RunRecord } from "../src/index.js";
import { comparePair } from "../src/compare/comparator.js";

function run(overrides: Partial<RunRecord> = {}): RunRecord {
  return {
    versionHash: "aaaaaaaaaaaaaaaa",
    output: "Your order A-1 was refunded.",
    outcome: "completed",
    toolCalls: [
      { name: "lookup_order", kind: "read", arguments: { orderId: "A-1" }, intercepted: false },
      { name: "issue_refund", kind: "write", arguments: { orderId: "A-1", amount: 42 }, intercepted: false },
    ],
    turns: 2,
    steps: 4,
    costUsd: 0.002,
    durationMs: 10,
    ...overrides,
  };
}

const settings = { bands: { equivalent: 0.92, review: 0.8 }, costTolerance: 0.25, judgeSampleRate: 0, judgeTimeoutMs: 30_000, embedderTimeoutMs: 10_000, keepInputs: true };

describe("lexical similarity", () => {
  it("is 1 for the same words in any case and order, 0 for disjoint words", () => {
    expect(lexicalSimilarity("Refund issued for A-1", "a-1 FOR issued refund")).toBeCloseTo(1);
    expect(lexicalSimilarity("refund issued", "weather is sunny")).toBe(0);
    expect(lexicalSimilarity("", "")).toBe(1);
    expect(lexicalSimilarity("", "x")).toBe(0);
  });

  it("is the cosine of token counts", () => {
    // a: {the:2, cat:1}, b: {the:1, dog:1} → 2 / (sqrt5 * sqrt2)
    expect(lexicalSimilarity("the the cat", "the dog")).toBeCloseTo(2 / Math.sqrt(10));
  });

  it("bands scores at 0.92 and 0.80 by default", () => {
    const bands = { equivalent: 0.92, review: 0.8 };
    expect(bandOf(0.92, bands)).toBe("equivalent");
    expect(bandOf(0.919, bands)).toBe("similar");
    expect(bandOf(0.8, bands)).toBe("similar");
    expect(bandOf(0.799, bands)).toBe("review");
  });
});

describe("key metric comparison", () => {
  it("agrees when the same tools ran in the same order with the same arguments, whatever the key order", () => {
    const candidate = run({
      toolCalls: [
        { name: "lookup_order", kind: "read", arguments: { orderId: "A-1" }, intercepted: false },
        { name: "issue_refund", kind: "write", arguments: { amount: 42, orderId: "A-1" }, intercepted: true },
      ],
    });
    expect(compareKeyMetrics(run(), candidate, 0.25).decisionsAgree).toBe(true);
  });

  it("names the first differing tool call and a different refund amount", () => {
    const candidate = run({
      toolCalls: [
        { name: "lookup_order", kind: "read", arguments: { orderId: "A-1" }, intercepted: false },
        { name: "issue_refund", kind: "write", arguments: { orderId: "A-1", amount: 420 }, intercepted: true },
      ],
    });
    const result = compareKeyMetrics(run(), candidate, 0.25);
    expect(result.decisionsAgree).toBe(false);
    const writes = result.fields.find((f) => f.field === "write_actions");
    expect(writes?.detail).toBe('#1: production issue_refund({"amount":42,"orderId":"A-1"}), candidate issue_refund({"amount":420,"orderId":"A-1"})');
  });

  it("reports cost as a ratio and unknown cost as unknown", () => {
    expect(compareKeyMetrics(run(), run({ costUsd: 0.006 }), 0.25).costRatio).toBeCloseTo(3);
    const unknown = compareKeyMetrics(run(), run({ costUsd: null }), 0.25);
    expect(unknown.costRatio).toBeNull();
    expect(unknown.fields.find((f) => f.field === "cost_usd")?.agree).toBe(false);
  });
});

describe("pair comparison", () => {
  it("flags a candidate that answers differently, refunds differently and costs 3x", async () => {
    const candidate = run({
      output: "I cannot help with that request, please contact support.",
      toolCalls: [{ name: "lookup_order", kind: "read", arguments: { orderId: "A-1" }, intercepted: false }],
      costUsd: 0.006,
    });
    const result = await comparePair(settings, "r1", "input", run(), candidate);
    expect(result.similarity.band).toBe("review");
    expect(result.divergences.map((d) => d.kind).sort()).toEqual(["cost", "decisions", "similarity"].sort());
  });

  it("uses the embedder when given and falls back to lexical when it fails", async () => {
    const vectors: Record<string, number[]> = { a: [1, 0], b: [0.6, 0.8] };
    const embedded = await comparePair({ ...settings, embedder: async (t) => vectors[t] ?? [0, 0] }, "r", null, run({ output: "a" }), run({ output: "b" }));
    expect(embedded.similarity).toEqual({ score: 0.6, method: "embedding", band: "review" });
    const errors: unknown[] = [];
    const fallback = await comparePair(
      { ...settings, embedder: async () => Promise.reject(new Error("embedding API down")), onEmbedderError: (e) => errors.push(e) },
      "r",
      null,
      run(),
      run(),
    );
    expect(fallback.similarity.method).toBe("lexical");
    expect(errors).toHaveLength(1);
  });

  it("judges every divergence, a deterministic sample of the rest, and keeps a broken judge's error", async () => {
    const calls: string[] = [];
    const judge = async (req: { divergences: readonly unknown[] }) => {
      calls.push(req.divergences.length > 0 ? "divergence" : "sample");
      return { verdict: "production_better" as const, score: 0.2 };
    };
    const diverging = await comparePair({ ...settings, judge }, "r1", null, run(), run({ output: "nothing alike here" }));
    expect(diverging.judge).toEqual({ verdict: "production_better", score: 0.2, trigger: "divergence" });

    const ids = Array.from({ length: 1000 }, (_, i) => `req-${i}`);
    const sampled = ids.filter((id) => judgeTrigger(id, [], 0.05) === "sample");
    expect(sampled.length).toBeGreaterThan(25);
    expect(sampled.length).toBeLessThan(80);
    expect(ids.filter((id) => judgeTrigger(id, [], 0.05) === "sample")).toEqual(sampled);

    const broken = await comparePair({ ...settings, judge: async () => ({ verdict: "great" }) as never }, "r1", null, run(), run({ output: "x" }));
    expect(broken.judge).toMatchObject({ trigger: "divergence", error: expect.stringContaining('"verdict"') });
    // A wrong type is named by kind, never quoted: a judge's answer may carry the conversation.
    const wordy = await comparePair({ ...settings, judge: async () => ({ verdict: "equivalent", score: "very close" }) as never }, "r1", null, run(), run({ output: "x" }));
    expect(wordy.judge).toMatchObject({ trigger: "divergence", error: expect.stringContaining('judge returned an invalid result at "score": must be a number, not text;') });
  });
});
