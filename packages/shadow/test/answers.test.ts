import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ComparisonRecordSchema, createShadow, readAllJsonl, type AgentAnswer, type ComparisonRecord } from "../src/index.js";
import { runAgentCanaryBin } from "./support/cli.js";
import { orderDesk } from "./support/tools.js";

const PRODUCTION = "aaaaaaaaaaaaaaaa";
const CANDIDATE = "bbbbbbbbbbbbbbbb";
const quiet = { info: () => undefined, warn: () => undefined };

async function tempFile(name: string): Promise<string> {
  return join(await mkdtemp(join(tmpdir(), "shadow-answers-")), name);
}

/** What a careless candidate (or its model) may hand back. Typed loosely on purpose: this is the fault. */
const ODD_ANSWERS: Record<string, unknown> = {
  "unknown-outcome": { output: "Refund issued.", outcome: "exploded" },
  "number-output": { output: 42 },
  "not-an-answer": 42,
  "negative-cost": { output: "Refund issued.", costUsd: -1 },
  "bigint-argument": "Refund issued.",
};

describe("answers are checked before they are written", () => {
  it("records an unknown outcome or a non-string output as a candidate error with its reason, and keeps the comparison", async () => {
    const comparisonsFile = await tempFile("comparisons.jsonl");
    const { tools } = orderDesk();
    const shadow = createShadow<string, string>({
      production: { run: async () => "Refund issued.", version: PRODUCTION },
      candidate: {
        run: async (kind, ctx) => {
          if (kind === "bigint-argument") await ctx.callTool("issue_refund", { orderId: "A-1", amount: 42n });
          return ODD_ANSWERS[kind] as AgentAnswer;
        },
        version: CANDIDATE,
      },
      tools,
      maxConcurrentCandidates: 8,
      comparisonsFile,
      logger: quiet,
    });
    const failures: unknown[] = [];
    shadow.on("failure", ({ error }) => failures.push(error));
    for (const kind of Object.keys(ODD_ANSWERS)) expect(await shadow.run(kind, { requestId: kind })).toBe("Refund issued.");
    await shadow.close();

    expect(failures).toEqual([]);
    const records = await readAllJsonl(comparisonsFile, ComparisonRecordSchema, "");
    const byId = new Map(records.map((r) => [r.id, r]));
    expect([...byId.keys()].sort()).toEqual(Object.keys(ODD_ANSWERS).sort());
    const candidate = (id: string): ComparisonRecord["candidate"] | undefined => byId.get(id)?.candidate;
    expect(candidate("unknown-outcome")).toMatchObject({ outcome: "error", output: "" });
    expect(candidate("unknown-outcome")?.error).toMatch(/^the agent's answer is not valid: field "outcome": .*; an agent returns a string, or \{ output: string, outcome\?: completed \| /);
    expect(candidate("number-output")?.error).toContain('field "output": must be text, not a number');
    expect(candidate("not-an-answer")?.error).toContain("the agent's answer is not valid: it is a number");
    expect(candidate("negative-cost")?.error).toContain('field "costUsd"');
    for (const id of ["unknown-outcome", "number-output", "not-an-answer", "negative-cost"]) {
      expect(byId.get(id)?.divergences.map((d) => d.kind)).toContain("candidate_failed");
    }
    // An argument JSON cannot carry costs that argument, not the line.
    expect(candidate("bigint-argument")?.outcome).toBe("completed");
    expect(candidate("bigint-argument")?.toolCalls[0]?.arguments).toEqual({ unserializable: "Do not know how to serialize a BigInt" });

    const report = await runAgentCanaryBin(["shadow", "report", comparisonsFile, "--risk", "low"]);
    expect(report.stderr).toBe("");
    expect(report.exitCode).toBeUndefined();
    expect(report.stdout).toContain("5 comparisons of 1 candidate version");
  });

  it("gives the caller production's answer as it came, even an invalid one, and records production's run as an error", async () => {
    const odd = { output: ["not", "a", "string"] };
    const shadow = createShadow({
      production: { run: async () => odd as unknown as AgentAnswer, version: PRODUCTION },
      candidate: { run: async () => "fine", version: CANDIDATE },
      logger: quiet,
    });
    const comparisons: ComparisonRecord[] = [];
    shadow.on("comparison", (c) => comparisons.push(c));
    expect(await shadow.run("x")).toBe(odd);
    await shadow.close();
    expect(comparisons[0]?.production).toMatchObject({ outcome: "error", error: expect.stringContaining('field "output"') });
  });

  it("reports the good lines of a file with bad ones through the agent-canary bin, naming each bad line", async () => {
    const source = await tempFile("recorded.jsonl");
    const shadow = createShadow({
      production: { run: async () => "p", version: PRODUCTION },
      candidate: { run: async () => "p", version: CANDIDATE },
      comparisonsFile: source,
      logger: quiet,
    });
    await shadow.run("x", { requestId: "good-1" });
    await shadow.run("x", { requestId: "good-2" });
    await shadow.close();
    const [good1, good2] = (await readFile(source, "utf8")).trim().split("\n") as [string, string];
    // What an older version wrote when it did not check answers: an outcome no reader knows.
    const unknownOutcome = JSON.stringify({ ...(JSON.parse(good1) as ComparisonRecord), id: "old", candidate: { ...(JSON.parse(good1) as ComparisonRecord).candidate, outcome: "exploded" } });
    const file = await tempFile("mixed.jsonl");
    await writeFile(file, [good1, unknownOutcome, "not json at all", good2, "", '{"schemaVersion":1,"id":"cut'].join("\n"));

    const text = await runAgentCanaryBin(["shadow", "report", file, "--risk", "low"]);
    expect(text.exitCode).toBeUndefined();
    expect(text.stdout).toContain("2 comparisons of 1 candidate version\nskipped 3 bad lines:\n  line 2: field \"candidate.outcome\"");
    expect(text.stdout).toContain("  line 3: not valid JSON");
    expect(text.stdout).toContain("  line 6: not valid JSON");
    expect(text.stderr).toContain(`warning: ${file}:2: field "candidate.outcome"`);
    expect(text.stderr).toContain(`warning: ${file}:6: not valid JSON`);
    expect(text.stderr).toContain("(the last line: a write cut short by a crash?); line skipped");

    const json = await runAgentCanaryBin(["shadow", "report", file, "--risk", "low", "--format", "json"]);
    const report = JSON.parse(json.stdout) as { comparisons: number; skippedLines: { line: number }[] };
    expect(report.comparisons).toBe(2);
    expect(report.skippedLines.map((s) => s.line)).toEqual([2, 3, 6]);
  });
});
