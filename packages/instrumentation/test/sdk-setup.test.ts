import { readFileSync } from "node:fs";
import { join } from "node:path";
import { OptionsError } from "@agent-canary/instrumentation";
import { describe, expect, it } from "vitest";
import { propagatorFromEnv, samplerFromEnv } from "../src/register/env-config.js";
import { loadOptional, OPTIONAL_EXPORTER_RANGE, OPTIONAL_EXPORTERS, spanExporters } from "../src/register/exporters.js";
import { parseRegisterOptions } from "../src/register/options.js";
import { BASELINE } from "./helpers/versions.js";

const pkg = JSON.parse(readFileSync(join(import.meta.dirname, "..", "package.json"), "utf8")) as {
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
};
const options = (extra: Record<string, unknown> = {}) => parseRegisterOptions({ deployment: "support-agent", versions: { baseline: BASELINE }, ...extra });

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(OptionsError);
    return (error as Error).message;
  }
  throw new Error("expected an OptionsError");
}

describe("the SDK register() composes", () => {
  it("declares each optional exporter as an optional peer in the range it names when missing, and installs no gRPC for every agent", () => {
    for (const name of [...Object.values(OPTIONAL_EXPORTERS.traces), ...Object.values(OPTIONAL_EXPORTERS.metrics)]) {
      expect(pkg.peerDependencies[name], name).toBe(OPTIONAL_EXPORTER_RANGE);
      expect(pkg.peerDependenciesMeta[name]?.optional, name).toBe(true);
      expect(pkg.dependencies[name], name).toBeUndefined();
    }
    expect(Object.keys(pkg.dependencies).filter((d) => /sdk-node|grpc|proto|zipkin/.test(d))).toEqual([]);
    expect(pkg.peerDependencies["@opentelemetry/api"]).toBeDefined();
    expect(pkg.dependencies["@opentelemetry/api"]).toBeUndefined();
  });

  it("loads the exporter the OTLP protocol asks for, and names the package to install when it is missing", async () => {
    const [grpc] = spanExporters(options({ traces: { exporter: "otlp" } }), { OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" });
    expect(grpc?.constructor.name).toBe("OTLPTraceExporter");
    const [json] = spanExporters(options({ traces: { exporter: "otlp" } }), {});
    expect(json?.constructor).not.toBe(grpc?.constructor);
    await Promise.all([grpc?.shutdown(), json?.shutdown()]);
    expect(errorOf(() => loadOptional("@opentelemetry/exporter-not-installed", "OTLP traces over grpc"))).toContain(
      `OTLP traces over grpc: needs @opentelemetry/exporter-not-installed, which is not installed: npm install @opentelemetry/exporter-not-installed@${OPTIONAL_EXPORTER_RANGE}`,
    );
  });

  it("rejects OTEL_* values it cannot honour, naming the variable", () => {
    expect(errorOf(() => spanExporters(options({ traces: { exporter: "otlp" } }), { OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "http/xml" }))).toContain("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL:");
    expect(errorOf(() => spanExporters(options({ traces: { exporter: "env" } }), { OTEL_TRACES_EXPORTER: "zipkin" }))).toContain("OTEL_TRACES_EXPORTER:");
    expect(errorOf(() => samplerFromEnv({ OTEL_TRACES_SAMPLER: "sometimes" }))).toContain("OTEL_TRACES_SAMPLER:");
    expect(errorOf(() => samplerFromEnv({ OTEL_TRACES_SAMPLER: "traceidratio", OTEL_TRACES_SAMPLER_ARG: "2" }))).toContain("OTEL_TRACES_SAMPLER_ARG:");
    expect(errorOf(() => propagatorFromEnv({ OTEL_PROPAGATORS: "tracecontext,b3" }))).toContain('OTEL_PROPAGATORS: "b3"');
  });

  it("follows OTEL_TRACES_EXPORTER and OTEL_TRACES_SAMPLER as NodeSDK did", () => {
    expect(spanExporters(options({ traces: { exporter: "env" } }), { OTEL_TRACES_EXPORTER: "console,otlp" }).map((e) => e.constructor.name)).toEqual(["ConsoleSpanExporter", "OTLPTraceExporter"]);
    expect(spanExporters(options(), { OTEL_TRACES_EXPORTER: "none" })).toEqual([]);
    expect(samplerFromEnv({}).toString()).toMatch(/ParentBased/);
    expect(samplerFromEnv({ OTEL_TRACES_SAMPLER: "traceidratio", OTEL_TRACES_SAMPLER_ARG: "0.25" }).toString()).toMatch(/TraceIdRatioBased\{0\.25\}/);
    expect(propagatorFromEnv({ OTEL_PROPAGATORS: "none" })).toBeUndefined();
    expect(propagatorFromEnv({})?.fields()).toEqual(expect.arrayContaining(["traceparent", "baggage"]));
  });
});
