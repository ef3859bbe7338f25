import { execFile } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { register } from "@agent-canary/instrumentation";
import { metrics, trace } from "@opentelemetry/api";
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { describe, expect, it } from "vitest";
import { recordingLogger } from "./helpers/logger.js";
import { BASELINE } from "./helpers/versions.js";

const run = promisify(execFile);
const app = join(dirname(fileURLToPath(import.meta.url)), "fixtures", "otel2-app");

interface Report {
  answer: string;
  said: { error: string[]; warn: string[]; info: string[] };
  problems: string[];
  appSpans: string[];
  scrape: string;
}

async function runApp(mode: "app-sdk" | "own-sdk"): Promise<Report> {
  const { stdout } = await run(process.execPath, ["app.mjs", mode], { cwd: app });
  return JSON.parse(stdout.trim().split("\n").at(-1)!) as Report;
}

describe("apps that run their own OpenTelemetry SDK", () => {
  it("records through the app's SDK when both share one @opentelemetry/api", async () => {
    const spans = new InMemorySpanExporter();
    const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: spans })] });
    trace.setGlobalTracerProvider(provider);
    const { logger, error } = recordingLogger();
    const handle = register({ deployment: "support-agent", versions: { baseline: BASELINE }, startSdk: false, logger });
    try {
      expect((await handle.ready).problems).toEqual([]);
      await handle.session({ id: "shared-1" }, (s) => s.tool("lookup_order", { orderId: "A1" }, () => "found"));
      expect(spans.getFinishedSpans().map((s) => s.name).sort()).toEqual(["execute_tool lookup_order", "invoke_agent support-agent"]);
      expect(error).toEqual([]);
    } finally {
      await handle.shutdown();
      trace.disable();
      metrics.disable();
    }
  });

  it("says loudly, naming both versions, when an app on OpenTelemetry JS 2.x would lose everything agent-canary records", async () => {
    const report = await runApp("app-sdk");
    expect(report.answer).toBe("found");
    expect(report.said.error.join("\n")).toMatch(/OpenTelemetry API version conflict: the app's SDK registered @opentelemetry\/api 1\.9\.0, but agent-canary loads its own copy 1\.10\.\d/);
    // The startup line no longer says all is well.
    expect(report.said.error.join("\n")).toMatch(/NOT WORKING: spans and metrics are lost/);
    expect(report.problems).toHaveLength(1);
    expect(report.appSpans).toEqual([]);
  });

  it("records through its own SDK beside an app on OpenTelemetry JS 2.x", async () => {
    const report = await runApp("own-sdk");
    expect(report.said.error).toEqual([]);
    expect(report.said.warn.join("\n")).toMatch(/already registered.*could not use the app's: OpenTelemetry API version conflict/);
    expect(report.scrape).toMatch(/agent_canary_sessions_total\{[^}]*assignment="no_rollout",outcome="completed"[^}]*\} 1/);
  });
});
