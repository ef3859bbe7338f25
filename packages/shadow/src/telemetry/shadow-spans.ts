import { ATTR, SHADOW_ATTR, SHADOW_SPAN_NAMES, type VersionGroup } from "@agent-canary/conventions";
import { SpanStatusCode, trace, type Attributes, type Link, type Span, type SpanContext } from "@opentelemetry/api";
import type { PairComparison } from "../compare/comparator.js";
import type { ShadowRole } from "../run/agent.js";
import type { RunRecord } from "../run/run-record.js";

const tracer = () => trace.getTracer("@agent-canary/shadow");

export interface ArmIdentity {
  readonly deployment: string;
  readonly versionHash: string;
  readonly agentName?: string | undefined;
}

export interface SpanRequest {
  readonly requestId: string;
  readonly tenant?: string | undefined;
}

// Production is the version users are served by, the candidate the one under test:
// the same meaning baseline and canary carry in the rest of agent-canary.
const GROUP: Record<ShadowRole, VersionGroup> = { production: "baseline", candidate: "canary" };

function armAttributes(role: ShadowRole, arm: ArmIdentity, request: SpanRequest): Attributes {
  const attributes: Attributes = {
    [SHADOW_ATTR.role]: role,
    [SHADOW_ATTR.requestId]: request.requestId,
    [ATTR.deployment]: arm.deployment,
    [ATTR.versionHash]: arm.versionHash,
    [ATTR.versionGroup]: GROUP[role],
    [ATTR.agentVersion]: arm.versionHash,
  };
  if (arm.agentName) attributes[ATTR.agentName] = arm.agentName;
  if (request.tenant) attributes[ATTR.tenant] = request.tenant;
  return attributes;
}

/**
 * Runs `fn` inside the span of one arm. The production span is a child of the
 * caller's context; the candidate span starts its own trace (it is not part of
 * the user's request) and links back to the production span.
 */
export function withArmSpan<T>(
  role: ShadowRole,
  arm: ArmIdentity,
  request: SpanRequest,
  linkTo: SpanContext | undefined,
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  const links: Link[] = linkTo ? [{ context: linkTo, attributes: { [SHADOW_ATTR.role]: "production" } }] : [];
  const name = role === "production" ? SHADOW_SPAN_NAMES.production : SHADOW_SPAN_NAMES.candidate;
  return tracer().startActiveSpan(name, { root: role === "candidate", links, attributes: armAttributes(role, arm, request) }, fn);
}

export function endArmSpan(span: Span, run: RunRecord): void {
  span.setAttribute(ATTR.outcome, run.outcome);
  span.setAttribute(SHADOW_ATTR.interceptedWrites, run.toolCalls.filter((c) => c.intercepted).length);
  if (run.costUsd !== null) span.setAttribute(ATTR.costUsd, run.costUsd);
  if (run.error !== undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: run.error });
  span.end();
}

/** A short span that carries the comparison's verdicts and links both arms. */
export function recordCompareSpan(
  arm: ArmIdentity,
  productionHash: string,
  request: SpanRequest,
  links: readonly SpanContext[],
  comparison: PairComparison,
): void {
  const attributes: Attributes = {
    [SHADOW_ATTR.requestId]: request.requestId,
    [ATTR.deployment]: arm.deployment,
    [ATTR.versionHash]: arm.versionHash,
    [SHADOW_ATTR.productionVersionHash]: productionHash,
    [SHADOW_ATTR.similarity]: comparison.similarity.score,
    [SHADOW_ATTR.similarityMethod]: comparison.similarity.method,
    [SHADOW_ATTR.band]: comparison.similarity.band,
    [SHADOW_ATTR.decisionsAgree]: comparison.keyMetrics.decisionsAgree,
  };
  if (comparison.judge && "verdict" in comparison.judge) attributes[SHADOW_ATTR.judgeVerdict] = comparison.judge.verdict;
  tracer()
    .startSpan(SHADOW_SPAN_NAMES.compare, { root: true, attributes, links: links.map((context) => ({ context })) })
    .end();
}
