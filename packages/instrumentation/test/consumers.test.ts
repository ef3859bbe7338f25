import { execFile } from "node:child_process";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { versionHash } from "@agent-canary/conventions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FileStore } from "@agent-canary/rollout-state";
import { makeTempDir } from "@agent-canary/testkit";
import { startLlmStandIn } from "./helpers/llm-stand-in.js";
import { startRollout } from "./helpers/state.js";
import { BASELINE, CANARY } from "./helpers/versions.js";

const run = promisify(execFile);
const fixtures = join(dirname(fileURLToPath(import.meta.url)), "fixtures");

/** Real node processes loading the built package the way users do: --import for ESM, --require for CommonJS. */
describe("consumers", () => {
  let standIn: Awaited<ReturnType<typeof startLlmStandIn>>;
  let stateDir = "";
  beforeAll(async () => {
    standIn = await startLlmStandIn(() => ({ text: "hello from the stand-in", usage: { input: 50, output: 7 } }));
    // A rollout at 100%: the preloaded app must read it from the file store and run the canary.
    stateDir = await makeTempDir("instr-consumers");
    const store = new FileStore({ dir: stateDir });
    await startRollout(store, 100);
    await store.close();
  });
  afterAll(() => standIn.close());

  const env = () => ({
    ...process.env,
    OPENAI_BASE_URL: `${standIn.url}/v1`,
    AGENT_CANARY_DEPLOYMENT: "support-agent",
    AGENT_CANARY_BASELINE: JSON.stringify(BASELINE),
    AGENT_CANARY_CANARY: JSON.stringify(CANARY),
    AGENT_CANARY_STORE: `file:${stateDir}`,
    AGENT_CANARY_METRICS_PORT: "0",
    AGENT_CANARY_METRICS_HOST: "127.0.0.1",
    AGENT_CANARY_TRACES_EXPORTER: "none",
  });

  it.each([
    ["ESM", "--import", "consumer-esm.mjs"],
    ["CommonJS", "--require", "consumer-cjs.cjs"],
  ])("%s app is auto-instrumented, routed from the file store, and exits cleanly after shutdown", async (_kind, flag, script) => {
    const { stdout } = await run(process.execPath, [flag, "@agent-canary/instrumentation/register", join(fixtures, script)], { cwd: fixtures, env: env() });
    const report = JSON.parse(stdout.trim().split("\n").at(-1)!) as { answer: string; wrapped: boolean; sessions: string[]; tokens: string[] };
    expect(report.answer).toBe("hello from the stand-in");
    expect(report.wrapped).toBe(true);
    const labels = `deployment="support-agent",version_group="canary",version_hash="${versionHash(CANARY)}"`;
    expect(report.sessions.join("\n")).toContain(labels);
    expect(report.sessions.join("\n")).toContain('outcome="completed"');
    expect(report.tokens.join("\n")).toContain('gen_ai_token_type="input"');
  });

  it("records the calls of a CommonJS app that required openai before calling register()", async () => {
    const { stdout } = await run(process.execPath, [join(fixtures, "consumer-late-register.cjs")], { cwd: fixtures, env: env() });
    const result = JSON.parse(stdout.trim().split("\n").at(-1)!) as { turns: number; cost: number };
    expect(result.turns).toBe(1);
    expect(result.cost).toBeGreaterThan(0);
  });

  it("keeps the app running when the metrics port is taken, and says so on stderr", async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const port = (taken.address() as AddressInfo).port;
    try {
      const { AGENT_CANARY_STORE: _none, ...rest } = env();
      const { stdout, stderr } = await run(process.execPath, ["--import", "@agent-canary/instrumentation/register", "consumer-session.mjs"], {
        cwd: fixtures,
        env: { ...rest, AGENT_CANARY_METRICS_PORT: String(port) },
      });
      expect(JSON.parse(stdout.trim().split("\n").at(-1)!)).toEqual([0, 1].map(() => ({ group: "baseline", model: BASELINE.model })));
      expect(stderr).toContain(`metrics.port ${port} on 127.0.0.1 is in use`);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it("runs sessions on the baseline with AGENT_CANARY_DISABLED=1, saying so once", async () => {
    const { stdout, stderr } = await run(process.execPath, ["--import", "@agent-canary/instrumentation/register", "consumer-session.mjs"], {
      cwd: fixtures,
      env: { ...env(), AGENT_CANARY_DISABLED: "1" },
    });
    expect(JSON.parse(stdout.trim().split("\n").at(-1)!)).toEqual([0, 1].map(() => ({ group: "baseline", model: BASELINE.model })));
    expect(stderr.match(/AGENT_CANARY_DISABLED=1: agent-canary is off/g)).toHaveLength(1);
  });

  it("runs sessions on the baseline of the AGENT_CANARY_* variables when the preload was forgotten, saying so once", async () => {
    const { stdout, stderr } = await run(process.execPath, ["consumer-session.mjs"], { cwd: fixtures, env: env() });
    expect(JSON.parse(stdout.trim().split("\n").at(-1)!)).toEqual([0, 1].map(() => ({ group: "baseline", model: BASELINE.model })));
    expect(stderr.match(/agent-canary is not registered/g)).toHaveLength(1);
  });

  it("has types for CommonJS (.cts) and ESM (.mts) TypeScript consumers, and its AI SDK middleware is assignable to ai's", async () => {
    const tsc = join(fixtures, "..", "..", "..", "..", "node_modules", ".bin", "tsc");
    // Throws with the compiler's diagnostics if a consumer does not type-check.
    await run(tsc, ["-p", join(fixtures, "types")]);
  });

  it("fails fast on invalid settings, listing every bad variable with its field and the fix", async () => {
    const bad = {
      ...env(),
      AGENT_CANARY_METRICS_PORT: "nine",
      AGENT_CANARY_BASELINE: JSON.stringify({ systemPrompt: "x" }),
      AGENT_CANARY_BUDGET_USD: "-2",
      AGENT_CANARY_GUARD_MODE: "strict",
      AGENT_CANARY_CANARY: "{not json",
    };
    const failure = await run(process.execPath, ["--import", "@agent-canary/instrumentation/register", "-e", "0"], { cwd: fixtures, env: bad }).catch((e: { stderr: string; code: number }) => e);
    expect("code" in failure && failure.code).not.toBe(0);
    const stderr = "stderr" in failure ? failure.stderr : "";
    expect(stderr).toContain('AGENT_CANARY_METRICS_PORT: "nine" is not a number');
    expect(stderr).toContain("AGENT_CANARY_BASELINE (versions.baseline.model):");
    expect(stderr).toContain("AGENT_CANARY_BUDGET_USD (guards.budgetUsd): must be more than 0");
    expect(stderr).toContain("AGENT_CANARY_GUARD_MODE (guards.mode):");
    expect(stderr).toContain("AGENT_CANARY_CANARY: the value is not valid JSON");
    expect(stderr).toContain("the app was not started");
    expect(stderr).not.toContain("    at ");
  });
});
