import { firstIssue, privateFieldErrorMap } from "@agent-canary/conventions";
import { z } from "zod";
import type { Embedder } from "../compare/similarity.js";
import { ShadowError } from "../record/withheld.js";

/** The part of an OpenAI-compatible client the embedder uses; the `openai` SDK's client fits it. */
export interface EmbeddingsClient {
  readonly embeddings: {
    create(body: { model: string; input: string }, options?: { signal?: AbortSignal }): PromiseLike<unknown>;
  };
}

/** An embeddings reply without a usable vector; names the field, never a value. */
export class EmbeddingsReplyError extends ShadowError {
  constructor(message: string) {
    super(message);
    this.name = "EmbeddingsReplyError";
  }
}

/** What the embedder takes from the API's reply: one vector of finite numbers. */
const EmbeddingsReplySchema = z.object({
  data: z.array(z.object({ embedding: z.array(z.number().finite()).min(1) })).min(1, "no vector in the reply"),
});

/**
 * An embedder over any embeddings API, e.g. `createOpenAIEmbedder({ client: new OpenAI(), model: "text-embedding-3-small" })`.
 * The request carries the shadow's abort signal, so a timed-out call is closed, not left running.
 */
export function createOpenAIEmbedder(options: { readonly client: EmbeddingsClient; readonly model: string }): Embedder {
  return async (text, signal) => {
    const reply = EmbeddingsReplySchema.safeParse(await options.client.embeddings.create({ model: options.model, input: text }, { signal }), { error: privateFieldErrorMap });
    if (!reply.success) {
      const { field, message } = firstIssue(reply.error);
      throw new EmbeddingsReplyError(`the embeddings API (model ${options.model}) replied without a usable vector: field "${field}": ${message}`);
    }
    // min(1) above makes the first element exist.
    return reply.data.data[0]?.embedding ?? [];
  };
}
