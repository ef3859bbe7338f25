import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { comparePair } from "../src/compare/comparator.js";
import { createOpenAIEmbedder, createOpenAIJudge, type RunRecord } from "../src/index.js";
import { startEvaluatorServer, type EvaluatorServer } from "./support/evaluator-server.js";

let evaluator: EvaluatorServer;
let client: OpenAI;

beforeAll(async () => {
  evaluator = await startEvaluatorServer();
  client = new OpenAI({ baseURL: evaluator.baseURL, apiKey: "local-test", maxRetries: 0 });
});
afterAll(() => evaluator?.close());

function run(output: string): RunRecord {
  return { versionHash: "aaaaaaaaaaaaaaaa", output, outcome: "completed", toolCalls: [], turns: 1, steps: 1, costUsd: 0.001, durationMs: 5 };
}

const settings = { bands: { equivalent: 0.92, review: 0.8 }, costTolerance: 0.25, judgeSampleRate: 0, judgeTimeoutMs: 30_000, embedderTimeoutMs: 10_000, keepInputs: true };

describe("OpenAI-compatible judge and embedder", () => {
  it("maps the judge's A/B verdict back to production and candidate whichever order it was shown", async () => {
    const judge = createOpenAIJudge<string>({ client, model: "judge-model" });
    const verdicts = [];
    for (let i = 0; i < 8; i++) {
      const production = run(`Your order A${1000 + i} is shipped.`);
      const candidate = run(`Sorry, I cannot look that up right now (${i}).`);
      verdicts.push(await judge({ input: `ticket ${i}`, production, candidate, divergences: [] }, new AbortController().signal));
    }
    expect(verdicts.every((v) => v.verdict === "production_better" && v.score === 0.2)).toBe(true);
    // Both positions were used, so a position-biased judge could not pass as a good one.
    const positions = new Set(evaluator.judgeCalls.map((c) => c.factsIn));
    expect(positions).toEqual(new Set(["A", "B"]));
  });

  it("records a judge that does not answer in the agreed JSON as an error, and the comparison goes on", async () => {
    const judge = createOpenAIJudge<string>({ client, model: "broken-judge" });
    const result = await comparePair({ ...settings, judge }, "r1", "ticket", run("Your order is shipped."), run("No idea."));
    expect(result.judge).toMatchObject({ trigger: "divergence", error: expect.stringContaining("JSON") });
    expect(result.similarity.band).toBe("review");
  });

  it("scores similarity with the embeddings API", async () => {
    const embedder = createOpenAIEmbedder({ client, model: "embedding-model" });
    const same = await comparePair({ ...settings, embedder }, "r2", "ticket", run("Your order A1234 is shipped."), run("your order a1234 is SHIPPED"));
    expect(same.similarity).toEqual({ score: 1, method: "embedding", band: "equivalent" });
    const different = await comparePair({ ...settings, embedder }, "r3", "ticket", run("Your order A1234 is shipped."), run("Please reset your password first."));
    expect(different.similarity.method).toBe("embedding");
    expect(different.similarity.band).toBe("review");
  });
});
