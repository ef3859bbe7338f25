import { median } from "./stats.ts";

export interface Throughput {
  name: string;
  opsPerSecond: number;
  rounds: number[];
}

/** One operation on one input; returns a truthy value so the work cannot be optimised away. */
export type Decide<I> = (input: I) => unknown;

function timeRound<I>(decide: Decide<I>, ids: readonly I[]): { perSecond: number; hits: number } {
  let hits = 0;
  const start = performance.now();
  for (const id of ids) if (decide(id)) hits++;
  return { perSecond: ids.length / ((performance.now() - start) / 1000), hits };
}

/**
 * Rounds interleave the candidates (a, b, c, a, b, c, ...) so load from other
 * processes on the shared machine drifts over all of them alike; median per candidate.
 */
export function throughputs<I>(candidates: readonly { name: string; decide: Decide<I> }[], ids: readonly I[], rounds = 7): Throughput[] {
  const warm = ids.slice(0, 20_000);
  for (const c of candidates) timeRound(c.decide, warm);
  const perRound = candidates.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) candidates.forEach((c, i) => perRound[i]?.push(timeRound(c.decide, ids).perSecond));
  return candidates.map((c, i) => ({ name: c.name, opsPerSecond: median(perRound[i] ?? []), rounds: perRound[i] ?? [] }));
}

