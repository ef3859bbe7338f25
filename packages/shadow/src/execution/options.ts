import { fieldErrorMap, VersionHashSchema, VersionSpecSchema, versionHash, type VersionSpec } from "@agent-canary/conventions";
import { z } from "zod";
import { timeLimit } from "../limits/milliseconds.js";
import { errorText } from "../record/withheld.js";
import { CompareOptionsSchema, type ComparatorSettings } from "../compare/comparator.js";
import type { Embedder } from "../compare/similarity.js";
import type { Judge } from "../compare/judge.js";
import type { AgentAnswer, AgentFn, Toolset } from "../run/agent.js";
import { ToolKindSchema } from "../run/run-record.js";
import { stderrLogger, type ShadowLogger } from "./logger.js";

function isFunction(value: unknown): boolean {
  return typeof value === "function";
}
export const fn = (what: string) => z.custom<(...args: never[]) => unknown>(isFunction, `${what} must be a function`);

const SHARE = "must be a share between 0 and 1, e.g. 0.05 for 5%";

export const ArmSchema = z.object({
  run: fn("run (async (input, ctx) => answer)"),
  version: z.union([VersionHashSchema, VersionSpecSchema], {
    message: "version must be a 16-hex version hash or a version spec { model, systemPrompt, tools, params }",
  }),
  name: z.string().min(1).optional(),
});

export const ToolSchema = z
  .object({
    kind: ToolKindSchema,
    execute: fn("execute"),
    dryRun: fn("dryRun").optional(),
    key: fn("key (args => the record the call touches, e.g. `customer:${args.id}`)").optional(),
    overlay: fn("overlay (async (args, writes, readReal) => what the read returns)").optional(),
  })
  .refine((t) => t.overlay === undefined || (t.kind === "read" && t.key !== undefined), {
    message: "overlay is for read tools that also declare key(args): it answers a read of a key the run wrote",
    path: ["overlay"],
  });

export const LoggerSchema = z.custom<ShadowLogger>(
  (v) => typeof v === "object" && v !== null && isFunction((v as ShadowLogger).warn) && isFunction((v as ShadowLogger).info),
  "logger needs info(message, fields) and warn(message, fields)",
);

/** The user-facing comparison settings, shared by live shadowing and replay. */
export interface CompareSettingsInput<I> {
  readonly bands?: { readonly equivalent?: number; readonly review?: number };
  readonly costTolerance?: number;
  readonly judgeSampleRate?: number;
  readonly judgeTimeoutMs?: number;
  readonly embedderTimeoutMs?: number;
  readonly embedder?: Embedder;
  readonly judge?: Judge<I>;
}

/** Checked numbers from zod, functions as the caller typed them. */
export function comparatorSettings<I>(
  parsed: z.output<typeof CompareOptionsSchema>,
  given: CompareSettingsInput<I> | undefined,
  logger: ShadowLogger,
  keepInputs: boolean,
): ComparatorSettings<I> {
  return {
    bands: parsed.bands,
    costTolerance: parsed.costTolerance,
    judgeSampleRate: parsed.judgeSampleRate,
    judgeTimeoutMs: parsed.judgeTimeoutMs,
    embedderTimeoutMs: parsed.embedderTimeoutMs,
    embedder: given?.embedder,
    judge: given?.judge,
    onEmbedderError: (error) => logger.warn("embedder failed; lexical similarity used", { error: errorText(error, keepInputs) }),
    keepInputs,
  };
}

/** The checked shape of shadow options; functions are checked to be functions and kept as given. */
export const ShadowOptionsSchema = z.object({
  deployment: z.string().min(1).default("default"),
  production: ArmSchema,
  candidate: ArmSchema,
  tools: z.record(z.string(), ToolSchema).default({}),
  /** Share of requests shadowed; start small (e.g. 0.05) and raise it. */
  sampleRate: z.number().min(0, SHARE).max(1, SHARE).default(1),
  optIn: z
    .object({ tenants: z.array(z.string()).optional(), routes: z.array(z.string()).optional() })
    .optional(),
  /** concurrent: the candidate starts with production; after_production: once production has answered. */
  candidateStart: z.enum(["concurrent", "after_production"]).default("concurrent"),
  candidateTimeoutMs: timeLimit("candidateTimeoutMs", 30_000),
  /** After its timeout, how long a candidate that ignores its signal may keep its slot before it is abandoned (and counted). */
  candidateAbandonAfterMs: timeLimit("candidateAbandonAfterMs", 5_000),
  maxConcurrentCandidates: z.number().int().positive().default(4),
  /** How long close() waits for work under way before it aborts the rest. */
  closeTimeoutMs: timeLimit("closeTimeoutMs", 10_000),
  dryRunResult: fn("dryRunResult").optional(),
  /** Appends every comparison here (JSONL), for `agent-canary shadow report`. */
  comparisonsFile: z.string().min(1).optional(),
  /** Appends every shadowed production input and run here (JSONL), for replay against later candidates. */
  recordInputsFile: z.string().min(1).optional(),
  /**
   * Keep inputs, tool arguments, outputs, judge reasons and foreign error messages in
   * comparison records, events and spans: report examples show them. false keeps
   * only what the comparison found (similarity, which tools, outcomes, verdicts).
   */
  keepInputs: z.boolean().default(true),
  compare: CompareOptionsSchema.prefault({}),
  logger: LoggerSchema.optional(),
}).refine((o) => o.keepInputs || o.recordInputsFile === undefined, {
  message: "recordInputsFile records every input, which keepInputs: false forbids; drop one of the two",
  path: ["recordInputsFile"],
});

export interface Arm<I, O extends AgentAnswer | string> {
  readonly run: AgentFn<I, O>;
  /** The version hash, or the spec it is computed from. */
  readonly version: string | VersionSpec;
  /** Goes to gen_ai.agent.name on the spans. */
  readonly name?: string;
}

/** What createShadow() takes. See ShadowOptionsSchema for defaults. */
export interface ShadowOptions<I, O extends AgentAnswer | string> {
  readonly deployment?: string;
  readonly production: Arm<I, O>;
  readonly candidate: Arm<I, AgentAnswer | string>;
  readonly tools?: Toolset;
  readonly sampleRate?: number;
  readonly optIn?: { readonly tenants?: readonly string[]; readonly routes?: readonly string[] };
  readonly candidateStart?: "concurrent" | "after_production";
  readonly candidateTimeoutMs?: number;
  readonly candidateAbandonAfterMs?: number;
  readonly maxConcurrentCandidates?: number;
  readonly closeTimeoutMs?: number;
  /** What an intercepted write returns when its tool has no dryRun. Default { ok: true, dryRun: true }. */
  readonly dryRunResult?: (tool: string, args: unknown) => unknown;
  readonly comparisonsFile?: string;
  readonly recordInputsFile?: string;
  readonly keepInputs?: boolean;
  readonly compare?: CompareSettingsInput<I>;
  readonly logger?: ShadowLogger;
}

export interface ResolvedArm<I, O extends AgentAnswer | string> {
  readonly run: AgentFn<I, O>;
  readonly versionHash: string;
  readonly name?: string | undefined;
}

export interface ResolvedShadowOptions<I, O extends AgentAnswer | string> {
  readonly deployment: string;
  readonly production: ResolvedArm<I, O>;
  readonly candidate: ResolvedArm<I, AgentAnswer | string>;
  readonly tools: Toolset;
  readonly sampleRate: number;
  readonly optIn?: { readonly tenants?: readonly string[] | undefined; readonly routes?: readonly string[] | undefined } | undefined;
  readonly candidateStart: "concurrent" | "after_production";
  readonly candidateTimeoutMs: number;
  readonly candidateAbandonAfterMs: number;
  readonly maxConcurrentCandidates: number;
  readonly closeTimeoutMs: number;
  readonly dryRunResult: (tool: string, args: unknown) => unknown;
  readonly comparisonsFile?: string | undefined;
  readonly recordInputsFile?: string | undefined;
  readonly keepInputs: boolean;
  readonly compare: ComparatorSettings<I>;
  readonly logger: ShadowLogger;
}

export class ShadowOptionsError extends Error {
  constructor(
    readonly issues: z.core.$ZodIssue[],
    what = "shadow options",
  ) {
    super(
      `invalid ${what}:\n${issues.map((i) => `  - ${i.path.join(".") || "(root)"}: ${i.message}`).join("\n")}`,
    );
    this.name = "ShadowOptionsError";
  }
}

export function resolveHash(version: string | VersionSpec): string {
  return typeof version === "string" ? version : versionHash(version);
}

const defaultDryRun = (): unknown => ({ ok: true, dryRun: true });

/** Checks options at the boundary and fills in the defaults; functions stay typed as the caller gave them. */
export function resolveShadowOptions<I, O extends AgentAnswer | string>(options: ShadowOptions<I, O>): ResolvedShadowOptions<I, O> {
  const parsed = ShadowOptionsSchema.safeParse(options, { error: fieldErrorMap });
  if (!parsed.success) throw new ShadowOptionsError(parsed.error.issues);
  const p = parsed.data;
  const logger = options.logger ?? stderrLogger;
  return {
    deployment: p.deployment,
    production: { run: options.production.run, versionHash: resolveHash(options.production.version), name: p.production.name },
    candidate: { run: options.candidate.run, versionHash: resolveHash(options.candidate.version), name: p.candidate.name },
    tools: options.tools ?? {},
    sampleRate: p.sampleRate,
    optIn: p.optIn,
    candidateStart: p.candidateStart,
    candidateTimeoutMs: p.candidateTimeoutMs,
    candidateAbandonAfterMs: p.candidateAbandonAfterMs,
    maxConcurrentCandidates: p.maxConcurrentCandidates,
    closeTimeoutMs: p.closeTimeoutMs,
    dryRunResult: options.dryRunResult ?? defaultDryRun,
    comparisonsFile: p.comparisonsFile,
    recordInputsFile: p.recordInputsFile,
    keepInputs: p.keepInputs,
    compare: comparatorSettings(p.compare, options.compare, logger, p.keepInputs),
    logger,
  };
}
