import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { versionHash } from "@agent-canary/conventions";
import { BASELINE_VERSION, CANARY_VERSION, makeTask, seeded, startModelServer, type ModelServer, type SupportTask } from "@agent-canary/example-support-agent";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ComparisonRecordSchema, createShadow, readAllJsonl, replayShadow, type ComparisonRecord, type JudgeRequest } from "../src/index.js";
import { runShadowCli } from "./support/cli.js";
import { gate } from "./support/gate.js";
import { supportAgent, supportTools } from "./support/openai-agent.js";

const quiet = { info: () => undefined, warn: () => undefined };
const healthy = { taskFailureRate: 0, loopRate: 0, extraSearchRate: 0 };
/** A third version whose model gives up on every task: the shadow must flag it. */
const BROKEN_VERSION = { ...CANARY_VERSION, model: "support-broken" };

let server: ModelServer;
let client: OpenAI;

beforeAll(async () => {
  server = await startModelServer({ models: { [BASELINE_VERSION.model]: healthy, [CANARY_VERSION.model]: healthy, [BROKEN_VERSION.model]: { ...healthy, taskFailureRate: 1 } } });
  client = new OpenAI({ baseURL: server.baseURL, apiKey: "local-test", maxRetries: 0 });
});
afterAll(() => server?.close());

function tasks(count: number, seed: string): SupportTask[] {
  const random = seeded(seed);
  return Array.from({ length: count }, (_, i) => makeTask(random, `T-${seed}-${i}`));
}

/** A stand-in for an evaluator model: prefers the answer that kept the facts the tools returned. */
async function factJudge({ production, candidate }: JudgeRequest<SupportTask>) {
  const cites = (text: string) => /R-A\d+|KB-\d+|processing|shipped|delivered/.test(text);
  if (cites(production.output) === cites(candidate.output)) return { verdict: "equivalent" as const, score: 0.8 };
  return cites(production.output) ? { verdict: "production_better" as const, score: 0.1, reason: "candidate left out what the tools found" } : { verdict: "candidate_better" as const, score: 0.9 };
}

describe("shadowing the example support agent on the openai SDK", () => {
  it("gives the user production's answer while the candidate waits, and never lets the candidate refund", async () => {
    const { tools, refunds } = supportTools();
    const held = gate();
    const events: string[] = [];
    const shadow = createShadow({
      deployment: "support",
      production: { run: supportAgent(client, BASELINE_VERSION), version: BASELINE_VERSION },
      candidate: { run: supportAgent(client, CANARY_VERSION, () => held.opened), version: CANARY_VERSION },
      tools,
      logger: quiet,
    });
    shadow.on("candidate_finished", ({ id }) => events.push(`candidate finished ${id}`));
    const refundTask = tasks(40, "slow").find((t) => t.kind === "refund");
    if (!refundTask) throw new Error("the seed gave no refund task");

    const answer = await shadow.run(refundTask, { requestId: refundTask.ticketId });
    events.push("user answered");
    expect(answer.output).toBe(`Refund R-${refundTask.orderId} of ${(refunds[0] as { amountUsd: number }).amountUsd} USD is on its way.`);
    expect(shadow.pending).toBe(1);

    held.open();
    const [comparison] = await Promise.all([new Promise<ComparisonRecord>((resolve) => shadow.once("comparison", resolve)), shadow.close()]);
    expect(events).toEqual(["user answered", `candidate finished ${refundTask.ticketId}`]);
    expect(refunds).toHaveLength(1);
    const intercepted = comparison.candidate.toolCalls.filter((c) => c.intercepted);
    expect(intercepted).toEqual([{ name: "issue_refund", kind: "write", arguments: refunds[0], intercepted: true }]);
    expect(comparison.keyMetrics.decisionsAgree).toBe(true);
    expect(comparison.candidate.versionHash).toBe(versionHash(CANARY_VERSION));
    // A model swap to a pricier model on identical decisions: same turns, higher cost.
    expect(comparison.candidate.turns).toBe(comparison.production.turns);
    expect(comparison.keyMetrics.costRatio).toBeGreaterThan(1);
  });

  it("flags a diverging candidate, judges it, records inputs, replays them and reports", async () => {
    const dir = await mkdtemp(join(tmpdir(), "shadow-support-"));
    const inputsFile = join(dir, "inputs.jsonl");
    const comparisonsFile = join(dir, "comparisons.jsonl");
    const { tools, refunds } = supportTools();
    const shadow = createShadow({
      deployment: "support",
      production: { run: supportAgent(client, BASELINE_VERSION), version: BASELINE_VERSION },
      candidate: { run: supportAgent(client, BROKEN_VERSION), version: BROKEN_VERSION },
      tools,
      maxConcurrentCandidates: 32,
      comparisonsFile,
      recordInputsFile: inputsFile,
      compare: { judge: factJudge, judgeSampleRate: 0.1 },
      logger: quiet,
    });
    const batch = tasks(16, "diverge");
    await Promise.all(batch.map((task) => shadow.run(task, { requestId: task.ticketId })));
    await shadow.close();

    const live = await readAllJsonl(comparisonsFile, ComparisonRecordSchema, "");
    expect(live).toHaveLength(16);
    expect(refunds).toHaveLength(batch.filter((t) => t.kind === "refund").length);
    for (const record of live) {
      expect(record.candidate.output).toMatch(/^I am sorry, I could not find anything/);
      expect(record.divergences.map((d) => d.kind)).toContain("similarity");
      expect(record.judge).toMatchObject({ trigger: "divergence", verdict: "production_better" });
    }
    const refundRecords = live.filter((r) => (r.input as SupportTask).kind === "refund");
    expect(refundRecords.length).toBeGreaterThan(0);
    expect(refundRecords.every((r) => r.divergences.some((d) => d.kind === "decisions" && d.detail.includes("issue_refund")))).toBe(true);

    // Later: the recorded inputs against a healthy candidate, production taken from the recording.
    const summary = await replayShadow<SupportTask>({
      inputsFile,
      comparisonsFile,
      deployment: "support",
      candidate: { run: supportAgent(client, CANARY_VERSION), version: CANARY_VERSION },
      tools,
      compare: { judge: factJudge },
      logger: quiet,
    });
    expect(summary).toMatchObject({ inputs: 16, compared: 16, candidateFailures: 0 });
    expect(refunds).toHaveLength(refundRecords.length);
    const replayed = (await readAllJsonl(comparisonsFile, ComparisonRecordSchema, "")).filter((r) => r.source === "replay");
    expect(replayed.every((r) => r.keyMetrics.decisionsAgree)).toBe(true);
    expect(replayed.every((r) => r.similarity.band === "equivalent")).toBe(true);

    const report = await runShadowCli(["shadow", "report", comparisonsFile, "--risk", "medium", "--traffic-per-day", "20000"]);
    expect(report.exitCode).toBeUndefined();
    // One block per candidate: the broken one (live) and the healthy one (replayed), never pooled.
    expect(report.stdout).toContain("32 comparisons of 2 candidate versions");
    const [healthy, broken] = report.stdout.split("## Candidate ").slice(1);
    expect(healthy).toContain(`${versionHash(CANARY_VERSION)}\n16 comparisons with production ${versionHash(BASELINE_VERSION)} (16); live window no live comparisons\nlive: none\nreplay: 16 comparisons, 16 distinct requests`);
    expect(broken).toContain(`${versionHash(BROKEN_VERSION)}\n16 comparisons with production ${versionHash(BASELINE_VERSION)} (16)`);
    expect(broken).toContain("live: 16 comparisons, 16 distinct requests, mean similarity");
    // The healthy candidate agrees on every decision but costs more: a model swap to a pricier model.
    expect(healthy).toContain("16/16 comparisons diverge (100.0%): cost 16");
    expect(broken).toContain(`16/16 comparisons diverge (100.0%): decisions ${refundRecords.length}, similarity 16`);
    expect(broken).toContain("candidate:  I am sorry, I could not find anything");
    expect(broken).toContain("judged 16 (sample 0, divergence 16), errors 0");
    expect(broken).toContain("candidate better 0, equivalent 0, production better 16");
    expect(healthy).toContain("candidate better 0, equivalent 16, production better 0");
    expect(broken).toContain("recommended: medium risk, ≥ 10,000 requests/day: 3 days");
    expect(healthy).toContain("observed: no live comparisons, so no observed duration, 0 distinct live requests");
    expect(report.stdout).toContain("NOT MET");
  });
});
