import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  ComparisonRecordSchema,
  createShadow,
  JsonlLineError,
  progressBar,
  readAllJsonl,
  replayShadow,
  type AgentFn,
} from "../src/index.js";
import { orderDesk } from "./support/tools.js";

const quiet = { info: () => undefined, warn: () => undefined };
const PRODUCTION = "aaaaaaaaaaaaaaaa";
const CANDIDATE = "cccccccccccccccc";

const InputSchema = z.object({ orderId: z.string() });
type Input = z.infer<typeof InputSchema>;

const refundAgent =
  (amount: number): AgentFn<Input> =>
  async (input, ctx) => {
    ctx.recordTurn({ costUsd: 0.001 });
    await ctx.callTool("lookup_order", { orderId: input.orderId });
    await ctx.callTool("issue_refund", { orderId: input.orderId, amount });
    return `Refund of ${amount} issued for ${input.orderId}.`;
  };

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), "shadow-replay-"));
}

describe("replay", () => {
  it("replays inputs recorded by the live shadow against a later candidate, without writing", async () => {
    const dir = await tempDir();
    const inputsFile = join(dir, "inputs.jsonl");
    const desk = orderDesk();
    // Live: production only matters here; the candidate never gets a slot.
    const live = createShadow({
      production: { run: refundAgent(42), version: PRODUCTION },
      candidate: { run: refundAgent(42), version: PRODUCTION },
      tools: desk.tools,
      recordInputsFile: inputsFile,
      logger: quiet,
    });
    for (const orderId of ["A-1", "A-2", "A-3"]) await live.run({ orderId }, { requestId: orderId });
    await live.close();
    const refundsAfterLive = desk.refunds.length;

    const out = new PassThrough();
    let progressText = "";
    out.on("data", (chunk: Buffer) => (progressText += chunk.toString()));
    const comparisonsFile = join(dir, "comparisons.jsonl");
    const summary = await replayShadow({
      inputsFile,
      comparisonsFile,
      candidate: { run: refundAgent(420), version: CANDIDATE },
      tools: desk.tools,
      parseInput: (raw) => InputSchema.parse(raw),
      progress: progressBar(out),
      logger: quiet,
    });

    expect(summary).toEqual({ inputs: 3, compared: 3, divergent: 3, candidateFailures: 0, abandoned: 0, interrupted: false });
    expect(desk.refunds.length).toBe(refundsAfterLive);
    expect(progressText).toContain("3/3 inputs");
    const records = await readAllJsonl(comparisonsFile, ComparisonRecordSchema, "");
    expect(records.map((r) => r.id).sort()).toEqual(["A-1", "A-2", "A-3"]);
    expect(records.every((r) => r.source === "replay" && r.production.versionHash === PRODUCTION && r.candidate.versionHash === CANDIDATE)).toBe(true);
    expect(records[0]?.divergences.map((d) => d.kind)).toContain("decisions");
  });

  it("names the file, line and field of a bad line before running anything", async () => {
    const dir = await tempDir();
    const inputsFile = join(dir, "inputs.jsonl");
    await writeFile(inputsFile, ['{"id":"a","input":{"orderId":"A-1"}}', "", '{"input":{"orderId":"A-2"}}'].join("\n"));
    let runs = 0;
    const replay = replayShadow({
      inputsFile,
      candidate: { run: async () => (runs++, "c"), version: CANDIDATE },
      production: { run: async () => "p", version: PRODUCTION },
      logger: quiet,
    });
    await expect(replay).rejects.toThrow(JsonlLineError);
    await expect(replay).rejects.toThrow(`${inputsFile}:3: field "id"`);
    expect(runs).toBe(0);

    await writeFile(inputsFile, '{"id":"a","input":{"orderId":"A-1"}}\nnot json\n');
    await expect(replayShadow({ inputsFile, candidate: { run: async () => "c", version: CANDIDATE }, logger: quiet })).rejects.toThrow(
      `${inputsFile}:2: not valid JSON`,
    );

    await writeFile(inputsFile, '{"id":"a","input":{"order":"A-1"}}\n');
    await expect(
      replayShadow({ inputsFile, candidate: { run: async () => "c", version: CANDIDATE }, parseInput: (raw) => InputSchema.parse(raw), logger: quiet }),
    ).rejects.toThrow(`${inputsFile}:1: field "input" rejected by parseInput`);
  });

  it("runs production too (dry-run) for lines without a recorded production run, and refuses without a production arm", async () => {
    const dir = await tempDir();
    const inputsFile = join(dir, "inputs.jsonl");
    await writeFile(inputsFile, '{"id":"a","input":{"orderId":"A-1"}}\n');
    const desk = orderDesk();
    await expect(replayShadow({ inputsFile, candidate: { run: refundAgent(42), version: CANDIDATE }, tools: desk.tools, logger: quiet })).rejects.toThrow(
      `${inputsFile}:1: no recorded production run`,
    );
    const comparisonsFile = join(dir, "c.jsonl");
    const summary = await replayShadow({
      inputsFile,
      comparisonsFile,
      candidate: { run: refundAgent(42), version: CANDIDATE },
      production: { run: refundAgent(42), version: PRODUCTION },
      tools: desk.tools,
      logger: quiet,
    });
    expect(summary.divergent).toBe(0);
    expect(desk.refunds).toEqual([]);
    const [record] = await readAllJsonl(comparisonsFile, ComparisonRecordSchema, "");
    expect(record?.production.toolCalls.find((c) => c.name === "issue_refund")?.intercepted).toBe(true);
    expect(JSON.parse((await readFile(comparisonsFile, "utf8")).trim()).keyMetrics.decisionsAgree).toBe(true);
  });

  it("stops at an interrupt: no new input starts, the candidate under way is not compared, whole lines only", async () => {
    const dir = await tempDir();
    const inputsFile = join(dir, "inputs.jsonl");
    const recorded = (id: string) => ({ id, input: { orderId: id }, production: { versionHash: PRODUCTION, output: "p", outcome: "completed", toolCalls: [], turns: 1, steps: 1, costUsd: null, durationMs: 1 } });
    await writeFile(inputsFile, `${Array.from({ length: 10 }, (_, i) => JSON.stringify(recorded(`o-${i}`))).join("\n")}\n`);
    const comparisonsFile = join(dir, "comparisons.jsonl");
    const interrupt = new AbortController();
    const started: string[] = [];
    const summary = await replayShadow<Input>({
      inputsFile,
      comparisonsFile,
      concurrency: 1,
      candidate: {
        run: async (input) => {
          started.push(input.orderId);
          if (input.orderId !== "o-2") return "p";
          interrupt.abort(); // Ctrl-C while this candidate runs; it ignores its signal
          return new Promise<string>(() => undefined);
        },
        version: CANDIDATE,
      },
      candidateAbandonAfterMs: 600_000,
      signal: interrupt.signal,
      logger: quiet,
    });
    expect(summary).toMatchObject({ inputs: 10, compared: 2, interrupted: true, abandoned: 1 });
    expect(started).toEqual(["o-0", "o-1", "o-2"]);
    expect((await readAllJsonl(comparisonsFile, ComparisonRecordSchema, "")).map((r) => r.id)).toEqual(["o-0", "o-1"]);
  });
});
