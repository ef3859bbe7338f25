import {
  type InstrumentationConfig,
  InstrumentationBase,
  InstrumentationNodeModuleDefinition,
} from "@opentelemetry/instrumentation";
import { createNoopMeter } from "@opentelemetry/api";
import { PriceBook, type PriceTable } from "../cost/prices.js";
import type { AgentSession } from "../session/session.js";
import { consoleLogger, type Logger, OnceLogger } from "../telemetry/logger.js";
import { Instruments } from "../telemetry/metrics.js";
import { makeSafely } from "../telemetry/safely.js";
import { PACKAGE_NAME, PACKAGE_VERSION } from "../version.js";
import { clearOutsideSessionEnv, setOutsideSessionEnv } from "../integrations/call-env.js";
import { instrumentAiSdk } from "../integrations/ai-sdk/instrument.js";
import { bedrockTargets } from "../integrations/bedrock/targets.js";
import { googleGenAiTargets } from "../integrations/google-genai/targets.js";
import { registerAiSdkTelemetry, unregisterAiSdkTelemetry } from "../integrations/ai-sdk/telemetry.js";
import type { CallEnv } from "./env.js";
import { anthropicTargets, openaiTargets, type PatchTarget } from "./targets.js";
import { patchMethod, type Unpatch } from "./patch.js";
import { wrapCreate } from "./wrap-create.js";

export interface AgentCanaryInstrumentationConfig extends InstrumentationConfig {
  /** Prices for LLM calls made outside any session (inside one, the session's runtime prices apply). */
  prices?: PriceTable;
  logger?: Logger;
  /** The deployment label for metrics of LLM calls made outside any session. */
  deployment?: string;
}

/** Supported SDK ranges: the module layouts (resource classes with a prototype `create`) these versions share. */
export const SUPPORTED = {
  openai: [">=4.19 <8"],
  anthropic: [">=0.30 <2"],
  googleGenAi: [">=3 <4"],
  bedrock: [">=3.600 <4"],
} as const;

/** The modules whose loading is hooked (the ESM loader hook of the preload must include them). */
export const INSTRUMENTED_MODULES = ["openai", "@anthropic-ai/sdk", "@google/genai", "@aws-sdk/client-bedrock-runtime"] as const;

/**
 * OpenTelemetry instrumentation of the SDKs in INSTRUMENTED_MODULES: openai
 * (chat.completions.create, responses.create), @anthropic-ai/sdk
 * (messages.create), @google/genai (generateContent) and the Bedrock runtime
 * client (Converse), streaming included, plus AI SDK 7 through its telemetry
 * integrations. Constructing it hooks module loading; importing it does nothing.
 */
export class AgentCanaryInstrumentation extends InstrumentationBase<AgentCanaryInstrumentationConfig> {
  private standaloneEnv: CallEnv | undefined;
  /** Patched by instrument(); disable() restores them too. */
  private manualTargets: PatchTarget[] | undefined;

  constructor(config: AgentCanaryInstrumentationConfig = {}) {
    super(PACKAGE_NAME, PACKAGE_VERSION, config);
  }

  protected override init() {
    const modules: [(typeof INSTRUMENTED_MODULES)[number], readonly string[], (exports: unknown) => PatchTarget[]][] = [
      ["openai", SUPPORTED.openai, openaiTargets],
      ["@anthropic-ai/sdk", SUPPORTED.anthropic, anthropicTargets],
      ["@google/genai", SUPPORTED.googleGenAi, googleGenAiTargets],
      ["@aws-sdk/client-bedrock-runtime", SUPPORTED.bedrock, bedrockTargets],
    ];
    return modules.map(
      ([name, versions, targets]) =>
        new InstrumentationNodeModuleDefinition(
          name,
          [...versions],
          (exports: unknown) => this.patchTargets(exports, targets(exports)),
          (exports: unknown) => this.unpatchTargets(targets(exports)),
        ),
    );
  }

  /**
   * Instruments an SDK by hand, for bundled apps where module hooks cannot see
   * the import. Pass the module (`import * as sdk from "openai"`), its client
   * class or a client instance. Returns the names of the methods patched.
   */
  instrument(sdk: unknown): string[] {
    const aiSdk = instrumentAiSdk(sdk, this);
    if (aiSdk) return aiSdk;
    const targets = [...openaiTargets(sdk), ...anthropicTargets(sdk), ...googleGenAiTargets(sdk), ...bedrockTargets(sdk)];
    if (targets.length === 0) {
      throw new TypeError(
        "instrument() found no supported SDK in its argument: pass the openai, @anthropic-ai/sdk, @google/genai or @aws-sdk/client-bedrock-runtime module, its client class or a client instance, or the `ai` module, an AI SDK provider or model",
      );
    }
    this.patchTargets(sdk, targets);
    (this.manualTargets ??= []).push(...targets);
    return targets.map((t) => t.label);
  }

  /** Also reports AI SDK 7 model calls (a global telemetry integration) and lends its services to calls outside sessions. */
  override enable(): void {
    super.enable();
    registerAiSdkTelemetry(this);
    setOutsideSessionEnv(outsideEnvOf(this));
  }

  override disable(): void {
    super.disable();
    unregisterAiSdkTelemetry(this);
    clearOutsideSessionEnv(outsideEnvOf(this));
    this.unpatchTargets(this.manualTargets?.splice(0) ?? []);
  }

  /** @internal The services for calls made outside any session. */
  outsideSessionEnv(): CallEnv {
    return this.envFor(undefined);
  }

  /** The SDK reports a new MeterProvider: rebuild the instruments for calls outside sessions. */
  protected override _updateMetricInstruments(): void {
    this.standaloneEnv = undefined;
  }

  private patchTargets<T>(exports: T, targets: PatchTarget[]): T {
    for (const t of targets) {
      const unpatch = patchMethod(t.proto, t.method, (original) => wrapCreate(original, t.shape, (session) => this.envFor(session)));
      if (unpatch) unpatches(this).set(t, unpatch);
    }
    return exports;
  }

  private unpatchTargets(targets: PatchTarget[]): void {
    const installed = unpatches(this);
    for (const t of targets) {
      for (const [patched, unpatch] of installed) {
        if (patched.proto !== t.proto || patched.method !== t.method) continue;
        unpatch();
        installed.delete(patched);
      }
    }
  }

  private envFor(session: AgentSession | undefined): CallEnv {
    if (session) return session.services;
    if (!this.standaloneEnv) {
      const log = new OnceLogger(this.getConfig().logger ?? consoleLogger);
      const instruments = this.standaloneInstruments(log);
      this.standaloneEnv = {
        tracer: this.tracer,
        instruments,
        prices: new PriceBook(this.getConfig().prices),
        log,
        safely: makeSafely(instruments, log),
        ...(this.getConfig().deployment ? { outsideSessionLabels: { deployment: this.getConfig().deployment } } : {}),
      };
    }
    return this.standaloneEnv;
  }

  /** This runs inside the agent's SDK call: a meter that cannot create instruments turns metrics off, not the call. */
  private standaloneInstruments(log: OnceLogger): Instruments {
    try {
      return new Instruments(this.meter);
    } catch (error) {
      log.warnOnce(
        "standalone-instruments",
        `metrics of LLM calls outside sessions are off: the MeterProvider could not create instruments (${error instanceof Error ? error.message : String(error)})`,
      );
      return new Instruments(createNoopMeter());
    }
  }
}

/** What each instrumentation patched, by prototype (a WeakMap: fields are not initialised when the base constructor patches). */
const installedPatches = new WeakMap<AgentCanaryInstrumentation, Map<PatchTarget, Unpatch>>();
function unpatches(instrumentation: AgentCanaryInstrumentation): Map<PatchTarget, Unpatch> {
  let map = installedPatches.get(instrumentation);
  if (!map) {
    map = new Map();
    installedPatches.set(instrumentation, map);
  }
  return map;
}

/** One provider function per instrumentation, so disable() clears exactly what its enable() set (fields are not yet initialised when the base constructor calls enable()). */
const outsideEnvs = new WeakMap<AgentCanaryInstrumentation, () => CallEnv>();
function outsideEnvOf(instrumentation: AgentCanaryInstrumentation): () => CallEnv {
  let provider = outsideEnvs.get(instrumentation);
  if (!provider) {
    provider = () => instrumentation.outsideSessionEnv();
    outsideEnvs.set(instrumentation, provider);
  }
  return provider;
}
