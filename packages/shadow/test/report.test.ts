import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createShadow, judgeDuration, recommendedDuration, signTestPValue, type AgentFn } from "../src/index.js";
import { runShadowCli } from "./support/cli.js";
import { orderDesk } from "./support/tools.js";

const quiet = { info: () => undefined, warn: () => undefined };

describe("recommended shadow duration", () => {
  it("follows the risk-tier practice: 3–5 days at 10k+/day, else 2 weeks or 5,000 requests, +50% for a model swap", () => {
    expect(recommendedDuration({ risk: "medium", trafficPerDay: 20_000, modelSwap: false })).toMatchObject({ minDays: 3, orMinRequests: null, required: true });
    expect(recommendedDuration({ risk: "high", trafficPerDay: 20_000, modelSwap: true })).toMatchObject({ minDays: 7.5, orMinRequests: null });
    expect(recommendedDuration({ risk: "medium", trafficPerDay: 2_000, modelSwap: false })).toMatchObject({ minDays: 14, orMinRequests: 5_000 });
    expect(recommendedDuration({ risk: "high", modelSwap: true })).toMatchObject({ minDays: 21, orMinRequests: 7_500 });
    expect(recommendedDuration({ risk: "critical", trafficPerDay: 50_000, modelSwap: false })).toMatchObject({ minDays: 14, orMinRequests: null });
    expect(recommendedDuration({ risk: "low", trafficPerDay: 50_000, modelSwap: false }).required).toBe(false);
  });

  it("is met by enough days, or at low traffic by enough distinct requests", () => {
    const lowTraffic = recommendedDuration({ risk: "medium", trafficPerDay: 1_000, modelSwap: false });
    expect(judgeDuration(lowTraffic, 3, 5_000).met).toBe(true);
    expect(judgeDuration(lowTraffic, 13.9, 4_999).met).toBe(false);
    expect(judgeDuration(lowTraffic, 14, 10).met).toBe(true);
    const highTraffic = recommendedDuration({ risk: "medium", trafficPerDay: 30_000, modelSwap: false });
    expect(judgeDuration(highTraffic, 2.5, 75_000).met).toBe(false);
    expect(judgeDuration(highTraffic, null, 75_000).met).toBe(false);
  });
});

describe("readiness", () => {
  it("uses an exact one-sided sign test on judge preferences", () => {
    expect(signTestPValue(9, 1)).toBeCloseTo(11 / 1024, 10);
    expect(signTestPValue(5, 5)).toBeCloseTo(638 / 1024, 10);
    expect(signTestPValue(0, 0)).toBe(1);
    expect(signTestPValue(600, 400)).toBeLessThan(1e-9);
  });
});

const answer =
  (amount: number, text: string): AgentFn<string, string> =>
  async (orderId, ctx) => {
    await ctx.callTool("issue_refund", { orderId, amount });
    return text;
  };

async function recordedFile(dir: string): Promise<string> {
  const file = join(dir, "recorded.jsonl");
  await recordComparisons(file);
  return file;
}

async function recordComparisons(file: string): Promise<void> {
  const { tools } = orderDesk();
  const shadow = createShadow<string, string>({
    production: { run: answer(42, "We refunded 42 dollars for your order, it will arrive in five days."), version: "aaaaaaaaaaaaaaaa" },
    candidate: {
      run: async (orderId, ctx) =>
        orderId.startsWith("odd")
          ? answer(420, "Sorry, I can not discuss refunds.")(orderId, ctx)
          : answer(42, "We refunded 42 dollars for your order, it will arrive in five days.")(orderId, ctx),
      version: "bbbbbbbbbbbbbbbb",
    },
    tools,
    comparisonsFile: file,
    maxConcurrentCandidates: 16,
    compare: { judge: async () => ({ verdict: "production_better", score: 0.1, reason: "refused a valid refund" }), judgeSampleRate: 0 },
    logger: quiet,
  });
  for (let i = 0; i < 8; i++) await shadow.run(`even-${i}`, { requestId: `even-${i}` });
  for (let i = 0; i < 2; i++) await shadow.run(`odd-${i}`, { requestId: `odd-${i}` });
  await shadow.close();
}

describe("shadow report command", () => {
  it("summarises similarity, disagreements with examples, judge verdicts and the duration rule", async () => {
    const dir = await mkdtemp(join(tmpdir(), "shadow-report-"));
    const file = join(dir, "comparisons.jsonl");
    await recordComparisons(file);

    const { stdout, exitCode } = await runShadowCli(["shadow", "report", file, "--risk", "high", "--traffic-per-day", "2000", "--model-swap"]);
    expect(exitCode).toBeUndefined();
    expect(stdout).toContain("10 comparisons of 1 candidate version\n");
    expect(stdout).toContain("## Candidate bbbbbbbbbbbbbbbb\n10 comparisons with production aaaaaaaaaaaaaaaa (10)");
    expect(stdout).toMatch(/\nlive: 10 comparisons, 10 distinct requests, mean similarity 0\.\d{3}, decisions agree 8\/10\nreplay: none\n/);
    expect(stdout).toMatch(/equivalent 8 \(80\.0%\), similar 0 \(0\.0%\), needs review 2 \(20\.0%\)/);
    expect(stdout).toContain("decisions agree: 8/10 (80.0%)");
    expect(stdout).toContain("2/10 comparisons diverge (20.0%)");
    expect(stdout).toContain("- odd-");
    expect(stdout).toContain("candidate:  Sorry, I can not discuss refunds.");
    expect(stdout).toContain("judge:      production_better (refused a valid refund)");
    expect(stdout).toContain("judged 2 (sample 0, divergence 2), errors 0");
    expect(stdout).toContain("intercepted candidate writes: issue_refund 10");
    expect(stdout).toContain("recommended: high risk, < 10,000 requests/day or unknown traffic, model swap (+50%): 21 days or 7,500 distinct requests");
    expect(stdout).toContain("NOT MET");
    expect(stdout).toContain("### Readiness: NOT READY");
    expect(stdout).toMatch(/FAIL {2}duration {3}needs high risk/);
    expect(stdout).toMatch(/FAIL {2}similarity mean similarity 0\.\d{3} \(threshold 0\.90\)/);
    expect(stdout).toContain("pass  judge      production better 2, candidate better 0: sign test p = 0.250");

    // --check turns the verdict into an exit status for a pipeline.
    // 3: the report ran and says "not ready" (1 would be a report that could not be made).
    expect((await runShadowCli(["shadow", "report", file, "--risk", "low", "--check"])).exitCode).toBe(3);
    const lenient = await runShadowCli(["shadow", "report", file, "--risk", "low", "--check", "--min-similarity", "0.7"]);
    expect(lenient.exitCode).toBeUndefined();
    expect(lenient.stdout).toContain("### Readiness: READY for a canary");

    const json = await runShadowCli(["shadow", "report", file, "--risk", "low", "--format", "json"]);
    const report = JSON.parse(json.stdout) as { candidates: { similarity: { bands: Record<string, number> }; duration: { required: boolean } }[] };
    expect(report.candidates[0]?.similarity.bands).toEqual({ equivalent: 8, similar: 0, review: 2 });
    expect(report.candidates[0]?.duration.required).toBe(false);
  });

  it("names the flag that is wrong, and skips bad lines with their line numbers instead of rejecting the file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "shadow-report-"));
    const file = join(dir, "bad.jsonl");
    await writeFile(file, '{"schemaVersion":1}\n');
    const badLine = await runShadowCli(["shadow", "report", file, "--risk", "medium"]);
    expect(badLine.exitCode).toBeUndefined();
    expect(badLine.stderr).toContain(`warning: ${file}:1: field "id"`);
    expect(badLine.stdout).toContain("0 comparisons of 0 candidate versions\nskipped 1 bad line:\n  line 1: field \"id\"");

    const goodThenCut = join(dir, "cut.jsonl");
    const [firstLine] = (await readFile(await recordedFile(dir), "utf8")).split("\n");
    await writeFile(goodThenCut, `${firstLine}\n{"schemaVersion":1,"id":"cut-sh`);
    const cut = await runShadowCli(["shadow", "report", goodThenCut, "--risk", "medium"]);
    expect(cut.exitCode).toBeUndefined();
    expect(cut.stderr).toMatch(new RegExp(`warning: ${goodThenCut}:2: not valid JSON .*\\(the last line: a write cut short by a crash\\?\\); line skipped`));
    expect(cut.stdout).toContain("1 comparisons of 1 candidate version");
    await writeFile(goodThenCut, `{"schemaVersion":1,"id":"cut-sh\n${firstLine}\n`);
    const middle = await runShadowCli(["shadow", "report", goodThenCut, "--risk", "medium"]);
    expect(middle.stderr).toContain(`warning: ${goodThenCut}:1: not valid JSON`);
    expect(middle.stdout).toContain("1 comparisons of 1 candidate version");

    const badTraffic = await runShadowCli(["shadow", "report", file, "--risk", "medium", "--traffic-per-day", "lots"]);
    expect(badTraffic.exitCode).toBe(2);
    expect(badTraffic.stderr).toContain("error: --traffic-per-day lots: give a number");

    const badRisk = await runShadowCli(["shadow", "report", file, "--risk", "huge"]);
    expect(badRisk.stderr).toMatch(/--risk <tier>' argument 'huge' is invalid/);
  });
});
