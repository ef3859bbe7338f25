/**
 * The similarity used when no embedder is given: cosine similarity over token
 * counts. Text is lower-cased and cut into runs of letters and digits (any
 * script); each distinct token is one dimension, its count the coordinate.
 *
 * It sees shared words, not shared meaning: a paraphrase scores lower than an
 * embedding model would score it, and a negation ("can" / "cannot refund")
 * scores higher. The default bands (0.92 / 0.80) were set for embeddings, so
 * expect more "review" verdicts from lexical scores; pass an embedder when you can.
 */
export function tokenCounts(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const match of text.toLowerCase().matchAll(/[\p{L}\p{N}]+/gu)) {
    counts.set(match[0], (counts.get(match[0]) ?? 0) + 1);
  }
  return counts;
}

export function lexicalSimilarity(a: string, b: string): number {
  const ca = tokenCounts(a);
  const cb = tokenCounts(b);
  // Two empty answers say the same nothing; one empty answer shares nothing.
  if (ca.size === 0 && cb.size === 0) return 1;
  if (ca.size === 0 || cb.size === 0) return 0;
  let dot = 0;
  for (const [token, count] of ca) dot += count * (cb.get(token) ?? 0);
  return clampUnit(dot / (norm(ca.values()) * norm(cb.values())));
}

function norm(values: Iterable<number>): number {
  let sum = 0;
  for (const v of values) sum += v * v;
  return Math.sqrt(sum);
}

/** Cosine similarity of two embedding vectors. */
export function cosineSimilarity(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) {
    throw new Error(`embedding dimensions differ (${a.length} vs ${b.length}); the embedder must return vectors of one size`);
  }
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  if (na === 0 || nb === 0) return na === nb ? 1 : 0;
  return clampUnit(dot / Math.sqrt(na * nb));
}

/** Rounding can push a cosine a hair past 1; negative cosines mean "unrelated" for our bands. */
function clampUnit(x: number): number {
  return Math.min(1, Math.max(0, x));
}
