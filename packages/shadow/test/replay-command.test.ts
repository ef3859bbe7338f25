import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BIN, runAgentCanaryBin, runShadowCli } from "./support/cli.js";

/** A candidate module as a user would write it for `agent-canary shadow replay --agent`. */
const AGENT_MODULE = `
const refunds = [];
export default {
  deployment: "support",
  candidate: {
    version: "cccccccccccccccc",
    run: async (input, ctx) => {
      await ctx.callTool("issue_refund", { orderId: input.orderId, amount: 10 });
      return "refund of 10 issued";
    },
  },
  tools: {
    issue_refund: { kind: "write", execute: (args) => { refunds.push(args); throw new Error("a replay must never write"); } },
  },
};
`;

function recordedLine(id: string): string {
  return JSON.stringify({
    id,
    input: { orderId: id },
    production: {
      versionHash: "aaaaaaaaaaaaaaaa",
      output: "refund of 10 issued",
      outcome: "completed",
      toolCalls: [{ name: "issue_refund", kind: "write", arguments: { orderId: id, amount: 10 }, intercepted: false }],
      turns: 1,
      steps: 2,
      costUsd: 0.001,
      durationMs: 12,
    },
  });
}

describe("shadow replay command", () => {
  it("loads the candidate module, replays every recorded input and appends comparisons", async () => {
    const dir = await mkdtemp(join(tmpdir(), "shadow-replay-cli-"));
    const agent = join(dir, "candidate.mjs");
    const inputs = join(dir, "inputs.jsonl");
    const out = join(dir, "comparisons.jsonl");
    await writeFile(agent, AGENT_MODULE);
    await writeFile(inputs, `${["o-1", "o-2", "o-3", "o-4"].map(recordedLine).join("\n")}\n`);

    const { stdout: printed, stderr: progress, exitCode } = await runShadowCli(["shadow", "replay", "--inputs", inputs, "--agent", agent, "--out", out, "--concurrency", "2"]);
    expect(exitCode).toBeUndefined();
    expect(printed).toBe(`replayed 4 inputs: 4 compared, 0 divergent, 0 candidate failures; comparisons appended to ${out}\n`);
    expect(progress).toContain("4/4 inputs");
    const lines = (await readFile(out, "utf8")).trim().split("\n").map((l) => JSON.parse(l) as { deployment: string; keyMetrics: { decisionsAgree: boolean } });
    expect(lines).toHaveLength(4);
    expect(lines.every((l) => l.deployment === "support" && l.keyMetrics.decisionsAgree)).toBe(true);
  });

  it("says what the module must export when it does not", async () => {
    const dir = await mkdtemp(join(tmpdir(), "shadow-replay-cli-"));
    const agent = join(dir, "empty.mjs");
    await writeFile(agent, "export default {};\n");
    await writeFile(join(dir, "in.jsonl"), "");
    const { stderr: err, exitCode } = await runShadowCli(["shadow", "replay", "--inputs", join(dir, "in.jsonl"), "--agent", agent, "--out", join(dir, "o.jsonl")]);
    expect(exitCode).toBe(1);
    expect(err).toContain("its default export must be an object with at least { candidate: { run, version } }");
    // A recorded line that is not JSON is the user's file, not a bug: one line naming file and line, exit 1, no stack.
    await writeFile(join(dir, "candidate.mjs"), AGENT_MODULE);
    await writeFile(join(dir, "in.jsonl"), "garbage\n");
    const badLine = await runShadowCli(["shadow", "replay", "--inputs", join(dir, "in.jsonl"), "--agent", join(dir, "candidate.mjs"), "--out", join(dir, "o.jsonl"), "--no-progress"]);
    expect(badLine.exitCode).toBe(1);
    expect(badLine.stderr).toMatch(new RegExp(`^error: ${join(dir, "in.jsonl")}:1: not valid JSON`));
    expect(badLine.stderr).not.toContain("    at ");
  });

  it("says which flag and what to change when the module cannot be loaded, through the agent-canary bin", async () => {
    const dir = await mkdtemp(join(tmpdir(), "shadow-replay-cli-"));
    const inputs = join(dir, "inputs.jsonl");
    await writeFile(inputs, `${recordedLine("o-1")}\n`);
    // The README's module in a project made with `npm init -y`, which says "type": "commonjs".
    await writeFile(join(dir, "package.json"), JSON.stringify({ name: "my-agent", version: "1.0.0", type: "commonjs" }));
    await writeFile(join(dir, "shadow-candidate.js"), AGENT_MODULE);
    const commonjs = await runAgentCanaryBin(["shadow", "replay", "--inputs", inputs, "--agent", join(dir, "shadow-candidate.js"), "--out", join(dir, "out.jsonl"), "--no-progress"]);
    expect(commonjs.exitCode).toBe(1);
    expect(commonjs.stderr).toMatch(/error: --agent .*shadow-candidate\.js: Node read it as CommonJS \(.*\); name it \.mjs, or set "type": "module" in the package\.json next to it/);
    const missing = await runAgentCanaryBin(["shadow", "replay", "--inputs", inputs, "--agent", join(dir, "nope.mjs"), "--out", join(dir, "out.jsonl"), "--no-progress"]);
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toContain(`error: --agent ${join(dir, "nope.mjs")}: no such file`);
    // Node's message named this package's own file as the importer: nothing the user can act on.
    expect(missing.stderr).not.toContain("replay-command");
  });

  it("stops cleanly at Ctrl-C through the agent-canary bin: exit 130, the comparisons made so far kept", async () => {
    const dir = await mkdtemp(join(tmpdir(), "shadow-replay-cli-"));
    const agent = join(dir, "candidate.mjs");
    const inputs = join(dir, "inputs.jsonl");
    const out = join(dir, "comparisons.jsonl");
    // The third candidate run tells the test it is running, then never answers.
    await writeFile(
      agent,
      `export default { candidate: { version: "cccccccccccccccc", run: async (input) => {
        if (input.orderId !== "o-3") return "refund of 10 issued";
        process.stderr.write("o-3 running\\n");
        return new Promise(() => {});
      } } };\n`,
    );
    await writeFile(inputs, `${["o-1", "o-2", "o-3", "o-4", "o-5"].map(recordedLine).join("\n")}\n`);
    const child = spawn(process.execPath, [BIN, "shadow", "replay", "--inputs", inputs, "--agent", agent, "--out", out, "--concurrency", "1", "--no-progress"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    const running = new Promise<void>((resolve) =>
      child.stderr.on("data", (c: Buffer) => {
        stderr += c.toString();
        if (stderr.includes("o-3 running")) resolve();
      }),
    );
    const exited = once(child, "exit") as Promise<[number | null]>;
    await running;
    child.kill("SIGINT");
    expect((await exited)[0]).toBe(130);
    expect(stdout).toBe(`interrupted: 2 of 5 inputs compared, 2 divergent, 0 candidate failures; comparisons appended to ${out}\n`);
    expect(stderr).toContain("interrupted: stopping the candidates under way");
    const lines = (await readFile(out, "utf8")).trim().split("\n").map((l) => (JSON.parse(l) as { id: string }).id);
    expect(lines).toEqual(["o-1", "o-2"]);
  });
});
