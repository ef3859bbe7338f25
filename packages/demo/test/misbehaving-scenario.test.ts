// The demo is a check of the product: a scenario that does not end as a working product should
// (a regression promoted, a healthy canary rolled back) must exit 3 and say which scenario, what was
// expected and what was seen. No rollout can be made to misbehave on purpose without breaking the
// product, so the scenario's expectation is turned around instead: the real cost regression (the
// canary writes four times the tokens) runs through the real controller, gates and file store and is
// rolled back, while the scenario claims a working product would promote it. The demo's own verdict
// (the summary, the exit code and the message) is what is under test; nothing of it is replaced.
// In process: vitest runs each test file in a process of its own (pool: forks), so the demo's
// instrumentation of the openai SDK stays in this file's process.
import { EXIT_CODES, type TextSink } from "@agent-canary/conventions/cli";
import { describe, expect, it } from "vitest";
import { runDemo, SCENARIOS, type DemoOptions, type Scenario, type ScenarioName, type ScenarioSummary } from "../src/index.js";

/** The scenarios with the cost regression expected to be promoted: what a broken product would do. */
const WRONG_EXPECTATION: Record<ScenarioName, Scenario> = { ...SCENARIOS, cost: { ...SCENARIOS.cost, expect: "promoted" } };

const OPTIONS: DemoOptions = { scenario: "cost", seed: 5, concurrency: 16, speed: 1, stack: false, json: false };

function collector(): TextSink & { text: () => string } {
  let text = "";
  return { write: (chunk: string) => (text += chunk), text: () => text };
}

async function run(options: DemoOptions) {
  const stdout = collector();
  const stderr = collector();
  const code = await runDemo(options, { io: { stdout, stderr }, scenarios: WRONG_EXPECTATION });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

const MISBEHAVED = /^error: scenario "cost" did not end as a working product should: expected promoted, ended rolled_back \(rollback gate firing: [A-Za-z, ]*Cost[A-Za-z, ]*\)$/;

describe("a demo scenario whose rollout contradicts what a working product does", () => {
  it("exits 3 and says, on stderr and in the summary, which scenario, what was expected and what was seen", async () => {
    const result = await run(OPTIONS);
    expect(result.code, result.stderr).toBe(EXIT_CODES.checkFailed);
    // One line per misbehaving scenario, naming it, the expected and the actual end and the controller's reason.
    const errors = result.stderr.split("\n").filter((line) => line.startsWith("error:"));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(MISBEHAVED);
    // The timeline showed the rollback, and the summary marks the scenario as unexpected, with the same words.
    expect(result.stdout).toContain("⏮ ROLLBACK");
    const summary = result.stdout.split("\n").find((line) => line.startsWith("  ✘ cost"));
    expect(summary, result.stdout).toMatch(/rolled_back by .*UNEXPECTED: expected promoted, ended rolled_back \(rollback gate firing: /);
    expect(result.stdout).not.toContain("✔ cost");
  });

  it("with --json: the summary says ok false, expected vs outcome, and the problem; exit 3 and the stderr line all the same", async () => {
    const result = await run({ ...OPTIONS, json: true });
    expect(result.code, result.stderr).toBe(EXIT_CODES.checkFailed);
    const summary = JSON.parse(result.stdout) as { ok: boolean; scenarios: ScenarioSummary[] };
    expect(summary.ok).toBe(false);
    expect(summary.scenarios).toHaveLength(1);
    expect(summary.scenarios[0]).toMatchObject({ scenario: "cost", expected: "promoted", outcome: "rolled_back", ok: false });
    expect(summary.scenarios[0]?.problems[0]).toMatch(/^expected promoted, ended rolled_back \(rollback gate firing: /);
    expect(result.stderr.split("\n").filter((line) => line.startsWith("error:"))).toEqual([expect.stringMatching(MISBEHAVED)]);
  });
});
