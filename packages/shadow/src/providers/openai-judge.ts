import { createHash } from "node:crypto";
import { firstIssue, privateFieldErrorMap } from "@agent-canary/conventions";
import { z } from "zod";
import type { Judge, JudgeResult } from "../compare/judge.js";
import { jsonSafe } from "../record/json-safe.js";
import { ShadowError } from "../record/withheld.js";
import type { RunRecord } from "../run/run-record.js";

/**
 * The part of an OpenAI-compatible client the judge uses. The `openai` SDK's
 * client fits it; so does anything that speaks chat completions.
 */
export interface ChatCompletionsClient {
  readonly chat: {
    readonly completions: {
      create(
        body: {
          model: string;
          messages: { role: "system" | "user"; content: string }[];
          response_format: { type: "json_object" };
          temperature: number;
        },
        options?: { signal?: AbortSignal },
      ): PromiseLike<unknown>;
    };
  };
}

export const DEFAULT_JUDGE_RUBRIC = [
  "You compare two answers of a customer-facing AI agent to the same request.",
  "Judge correctness first (facts the tools returned, the right action taken), then helpfulness, then tone.",
  "Length and wording alone are not a reason to prefer an answer.",
].join(" ");

/** The part of a chat completion the judge reads. */
const CompletionSchema = z.object({
  choices: z.array(z.object({ message: z.object({ content: z.string().nullable() }) })).min(1, "the completion has no choices"),
});

/** What the judge model must reply; A and B are positions, not versions. */
const JudgeReplySchema = z.object({
  better: z.enum(["A", "B", "tie"]),
  scoreA: z.number().min(0).max(1),
  scoreB: z.number().min(0).max(1),
  reason: z.string().max(2000).optional(),
});

const REPLY_SHAPE = '{"better": "A" | "B" | "tie", "scoreA": 0..1, "scoreB": 0..1, "reason"?: string}';

/** A judge model reply that is not the agreed JSON. Never quotes the reply (it may repeat the answers), so it is kept even with keepInputs: false. */
export class JudgeReplyError extends ShadowError {
  constructor(detail: string) {
    super(`${detail}; it must be one JSON object ${REPLY_SHAPE}`);
    this.name = "JudgeReplyError";
  }
}

/** The model's reply, checked. Errors name the field, never quote the reply: it may repeat the answers. */
function judgeReply(content: string): z.infer<typeof JudgeReplySchema> {
  let json: unknown;
  try {
    json = JSON.parse(content);
  } catch {
    throw new JudgeReplyError("the judge model's reply is not JSON");
  }
  const parsed = JudgeReplySchema.safeParse(json, { error: privateFieldErrorMap });
  if (parsed.success) return parsed.data;
  const { field, message } = firstIssue(parsed.error);
  throw new JudgeReplyError(`the judge model's reply has an invalid field "${field}" (${message})`);
}

export interface OpenAIJudgeOptions {
  readonly client: ChatCompletionsClient;
  readonly model: string;
  readonly rubric?: string;
  /** Turns the agent input into the text the judge sees; default JSON. */
  readonly describeInput?: (input: unknown) => string;
}

function describeRun(run: RunRecord): Record<string, unknown> {
  return {
    answer: run.output,
    outcome: run.outcome,
    tool_calls: run.toolCalls.map((c) => ({ tool: c.name, arguments: jsonSafe(c.arguments) })),
  };
}

/**
 * Which version is shown first. Judge models favour a position, so half the
 * pairs are swapped, deterministically (a re-judged pair is shown the same way).
 */
function candidateFirst(request: { readonly production: RunRecord; readonly candidate: RunRecord }): boolean {
  const digest = createHash("sha256").update(`${request.production.output}\u0000${request.candidate.output}`).digest();
  return (digest[0] ?? 0) % 2 === 1;
}

/**
 * An LLM-as-judge over any chat completions API: both runs go to `model` with
 * a rubric, as anonymous answers A and B in a deterministic random order; its
 * JSON reply is checked and mapped back to production and candidate.
 */
export function createOpenAIJudge<I>(options: OpenAIJudgeOptions): Judge<I> {
  const describeInput = options.describeInput ?? ((input: unknown) => JSON.stringify(jsonSafe(input)) ?? "");
  return async (request, signal): Promise<JudgeResult> => {
    const swap = candidateFirst(request);
    const [a, b] = swap ? [request.candidate, request.production] : [request.production, request.candidate];
    const user = JSON.stringify({ request: describeInput(request.input), A: describeRun(a), B: describeRun(b) });
    const raw = await options.client.chat.completions.create(
      {
        model: options.model,
        temperature: 0,
        response_format: { type: "json_object" },
        messages: [
          {
            role: "system",
            content: `${options.rubric ?? DEFAULT_JUDGE_RUBRIC} Reply with one JSON object: ${REPLY_SHAPE}, the reason in one sentence.`,
          },
          { role: "user", content: user },
        ],
      },
      // The shadow aborts this at judgeTimeoutMs: the SDK closes the request instead of leaving it open.
      { signal },
    );
    const completion = CompletionSchema.safeParse(raw, { error: privateFieldErrorMap });
    if (!completion.success) throw new JudgeReplyError(`the chat completions API replied without a message (field "${completion.error.issues[0]?.path.join(".") ?? ""}")`);
    const reply = judgeReply(completion.data.choices[0]?.message.content ?? "");
    const candidateIs = swap ? "A" : "B";
    const verdict = reply.better === "tie" ? "equivalent" : reply.better === candidateIs ? "candidate_better" : "production_better";
    return { verdict, score: swap ? reply.scoreA : reply.scoreB, ...(reply.reason ? { reason: reply.reason } : {}) };
  };
}
