import { execFile } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLlmStandIn } from "../helpers/llm-stand-in.js";
import { stackVersion } from "../helpers/stack-harness.js";

const run = promisify(execFile);
const fixtures = join(dirname(fileURLToPath(import.meta.url)), "..", "fixtures");

/**
 * Real node processes on the built package, set up as users do: preloaded
 * (the ESM loader hook and the require hook instrument @anthropic-ai/sdk,
 * @google/genai and the Bedrock client), or with register() called after the
 * SDKs were required (their copies in require.cache are patched then). The AI
 * SDK reports through the telemetry integration registered at start. Every
 * call is a turn.
 */
describe("every stack, auto-instrumented", () => {
  let standIn: Awaited<ReturnType<typeof startLlmStandIn>>;
  beforeAll(async () => {
    standIn = await startLlmStandIn(() => ({ text: "It shipped.", usage: { input: 50, output: 7 } }));
  });
  afterAll(() => standIn.close());

  it.each([
    ["ESM app", ["--import", "@agent-canary/instrumentation/register"], "consumer-stacks.mjs"],
    ["CommonJS app", ["--require", "@agent-canary/instrumentation/register"], "consumer-stacks.cjs"],
    ["CommonJS app that required every SDK before calling register() (no preload)", [], "consumer-stacks-late-register.cjs"],
  ])("%s", async (_kind, flags, script) => {
    const { stdout } = await run(process.execPath, [...flags, join(fixtures, script)], {
      cwd: fixtures,
      timeout: 60_000,
      env: {
        ...process.env,
        STAND_IN_URL: standIn.url,
        STAND_IN_H2C_URL: standIn.h2cUrl,
        AGENT_CANARY_DEPLOYMENT: "support-agent",
        AGENT_CANARY_BASELINE: JSON.stringify(stackVersion("gpt-4o-mini")),
        AGENT_CANARY_METRICS_PORT: "0",
        AGENT_CANARY_METRICS_HOST: "127.0.0.1",
        AGENT_CANARY_TRACES_EXPORTER: "none",
      },
    });
    const report = JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}") as { turns: number; providers: string[] };
    expect(report.turns).toBe(4);
    expect(report.providers).toEqual(["anthropic", "aws.bedrock", "gcp.gemini", "openai"]);
  });
});
