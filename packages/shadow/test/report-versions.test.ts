import { appendFile, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createShadow, type ComparisonRecord, type JudgeResult } from "../src/index.js";
import { runAgentCanaryBin, runShadowCli } from "./support/cli.js";

const PRODUCTION = "aaaaaaaaaaaaaaaa";
const OLD = "0000000000000001";
const NEW = "0000000000000002";
const DAY = 86_400_000;
const quiet = { info: () => undefined, warn: () => undefined };

async function tempFile(name: string): Promise<string> {
  return join(await mkdtemp(join(tmpdir(), "shadow-versions-")), name);
}

/** Live comparisons of `candidate` recorded by the shadow runner, as JSONL lines. */
async function shadowed(candidate: string, ids: readonly string[], judge?: () => Promise<JudgeResult>): Promise<ComparisonRecord[]> {
  const file = await tempFile("live.jsonl");
  const shadow = createShadow<string, string>({
    production: { run: async (id) => `Order ${id} is on its way.`, version: PRODUCTION },
    candidate: { run: async (id) => `Order ${id} is on its way.`, version: candidate },
    comparisonsFile: file,
    maxConcurrentCandidates: 64,
    ...(judge ? { compare: { judge, judgeSampleRate: 1 } } : {}),
    logger: quiet,
  });
  for (const id of ids) await shadow.run(id, { requestId: id });
  await shadow.close();
  return (await readFile(file, "utf8")).trim().split("\n").map((l) => JSON.parse(l) as ComparisonRecord);
}

const lines = (records: readonly ComparisonRecord[]) => `${records.map((r) => JSON.stringify(r)).join("\n")}\n`;
const equivalent = async (): Promise<JudgeResult> => ({ verdict: "equivalent", score: 0.9 });
const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

describe("shadow report per candidate version", () => {
  it("never lets an old candidate's weeks make a new candidate ready", async () => {
    const now = Date.now();
    // The old candidate shadowed from 30 to 15 days ago; the new one for the last hour, 10 requests.
    const old = (await shadowed(OLD, ids("old", 60), equivalent)).map((r, i) => ({ ...r, at: new Date(now - 30 * DAY + (i * 15 * DAY) / 59).toISOString() }));
    const recent = (await shadowed(NEW, ids("new", 10), equivalent)).map((r, i) => ({ ...r, at: new Date(now - 3_600_000 + i * 360_000).toISOString() }));
    const file = await tempFile("comparisons.jsonl");
    await writeFile(file, lines([...old, ...recent]));
    const flags = ["--risk", "high", "--traffic-per-day", "20000"];

    const both = await runShadowCli(["shadow", "report", file, ...flags]);
    expect(both.exitCode).toBeUndefined();
    const [newest, oldest] = both.stdout.split("## Candidate ").slice(1);
    expect(newest).toMatch(new RegExp(`^${NEW}\\n10 comparisons with production ${PRODUCTION} \\(10\\)`));
    expect(newest).toMatch(/observed: 0\.0\d days of live comparisons, 10 distinct live requests\nNOT MET/);
    expect(oldest).toMatch(new RegExp(`^${OLD}\\n60 comparisons`));
    expect(oldest).toContain("observed: 15.00 days of live comparisons, 60 distinct live requests\nMET");

    // A pipeline must say which candidate it is about to ship.
    const ambiguous = await runAgentCanaryBin(["shadow", "report", file, ...flags, "--check"]);
    expect(ambiguous.exitCode).toBe(2);
    expect(ambiguous.stderr).toContain(`holds comparisons of 2 candidate versions (${NEW}, ${OLD}); --check needs --candidate <hash>`);
    const shipNew = await runAgentCanaryBin(["shadow", "report", file, ...flags, "--check", "--candidate", NEW]);
    expect(shipNew.exitCode).toBe(3);
    expect(shipNew.stdout).not.toContain(OLD);
    expect(shipNew.stderr).toContain(`candidate ${NEW} is not ready for a canary`);
    expect((await runShadowCli(["shadow", "report", file, ...flags, "--check", "--candidate", OLD])).exitCode).toBeUndefined();
    const unknown = await runShadowCli(["shadow", "report", file, ...flags, "--candidate", "ffffffffffffffff"]);
    expect(unknown.exitCode).toBe(1);
    expect(unknown.stderr).toContain(`error: --candidate ffffffffffffffff: ${file} holds no comparison of this candidate; it holds: ${NEW}, ${OLD}`);
  });

  it("counts live and replayed comparisons apart; replayed requests meet the minimum only when opted in", async () => {
    const live = await shadowed(NEW, ids("live", 20), equivalent);
    // Replayed inputs: the same kind of line, from `shadow replay --out`.
    const replayed = ids("replay", 5_000).map((id) => ({ ...(live[0] as ComparisonRecord), id, source: "replay" as const }));
    const file = await tempFile("comparisons.jsonl");
    await writeFile(file, lines(live));
    await appendFile(file, lines(replayed));
    const flags = ["shadow", "report", file, "--risk", "medium", "--candidate", NEW];

    const liveOnly = await runShadowCli(flags);
    expect(liveOnly.stdout).toContain("live: 20 comparisons, 20 distinct requests");
    expect(liveOnly.stdout).toContain("replay: 5000 comparisons, 5000 distinct requests");
    expect(liveOnly.stdout).toContain(", 20 distinct live requests\nNOT MET");
    const optedIn = await runShadowCli([...flags, "--count-replayed"]);
    expect(optedIn.stdout).toContain(", 5020 distinct live and replay requests\nMET");
    expect(optedIn.stdout).toContain("### Readiness: READY for a canary");
  });

  it("fails the judge check when the review needs a judge and no pair was judged", async () => {
    const unjudged = await tempFile("unjudged.jsonl");
    await writeFile(unjudged, lines(await shadowed(NEW, ids("u", 5))));
    const medium = await runShadowCli(["shadow", "report", unjudged, "--risk", "medium"]);
    expect(medium.stdout).toContain(
      "FAIL  judge      no pair was judged (no judge configured, or none sampled); this review needs the judge's comparison: configure compare.judge, or pass --no-require-judge",
    );
    expect((await runShadowCli(["shadow", "report", unjudged, "--risk", "medium", "--no-require-judge"])).stdout).toContain("pass  judge      no pair was judged");
    expect((await runShadowCli(["shadow", "report", unjudged, "--risk", "low"])).stdout).toContain("pass  judge      no pair was judged (no judge configured, or none sampled); not required");
    expect((await runShadowCli(["shadow", "report", unjudged, "--risk", "low", "--require-judge"])).stdout).toContain("FAIL  judge");

    const broken = await tempFile("broken-judge.jsonl");
    await writeFile(broken, lines(await shadowed(NEW, ids("b", 5), () => Promise.reject(new Error("judge API down")))));
    expect((await runShadowCli(["shadow", "report", broken, "--risk", "high"])).stdout).toContain("FAIL  judge      every judge call failed (5 errors)");
  });
});
