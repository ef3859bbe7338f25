import type { Embedder } from "../compare/similarity.js";

/** The part of an OpenAI-compatible client the embedder uses; the `openai` SDK's client fits it. */
export interface EmbeddingsClient {
  readonly embeddings: {
    create(body: { model: string; input: string }): PromiseLike<{ data: readonly { embedding: readonly number[] }[] }>;
  };
}

/** An embedder over any embeddings API, e.g. `createOpenAIEmbedder({ client: new OpenAI(), model: "text-embedding-3-small" })`. */
export function createOpenAIEmbedder(options: { readonly client: EmbeddingsClient; readonly model: string }): Embedder {
  return async (text) => {
    const response = await options.client.embeddings.create({ model: options.model, input: text });
    const vector = response.data[0]?.embedding;
    if (!vector) throw new Error(`the embeddings API returned no vector for model ${options.model}`);
    return vector;
  };
}
