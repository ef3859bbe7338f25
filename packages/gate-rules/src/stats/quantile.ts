/**
 * Prometheus' histogram_quantile on cumulative buckets: linear interpolation
 * inside the bucket holding the rank, the lower bound of the first bucket
 * taken as 0, and the highest finite bound returned when the rank falls in +Inf.
 */
export function histogramQuantile(q: number, buckets: readonly { le: number; count: number }[]): number {
  const sorted = [...buckets].sort((a, b) => a.le - b.le);
  const total = sorted.at(-1)?.count ?? 0;
  if (sorted.length < 2 || total === 0 || sorted.at(-1)?.le !== Number.POSITIVE_INFINITY) return Number.NaN;
  const rank = q * total;
  let index = sorted.findIndex((b) => b.count >= rank);
  if (index === sorted.length - 1) return sorted[sorted.length - 2]?.le ?? Number.NaN;
  if (index < 0) index = sorted.length - 1;
  const bucket = sorted[index];
  if (!bucket) return Number.NaN;
  const start = index === 0 ? (bucket.le <= 0 ? bucket.le : 0) : (sorted[index - 1]?.le ?? 0);
  const below = index === 0 ? 0 : (sorted[index - 1]?.count ?? 0);
  const inBucket = bucket.count - below;
  if (index === 0 && bucket.le <= 0) return bucket.le;
  return start + (bucket.le - start) * ((rank - below) / inBucket);
}
