/**
 * Named naive baselines: what a first implementation would do.
 * - NaiveLoopDetector keeps the whole call history and, on every call, joins
 *   slices of it into strings to compare the last `repeats` cycles.
 * - naiveCost scans a table of regular expressions on every call and keeps
 *   the longest match.
 */
export class NaiveLoopDetector {
  private readonly history: string[] = [];
  private readonly maxCycleLength: number;
  private readonly repeats: number;

  constructor(maxCycleLength: number, repeats: number) {
    this.maxCycleLength = maxCycleLength;
    this.repeats = repeats;
  }

  record(signature: string): boolean {
    this.history.push(signature);
    for (let len = 1; len <= this.maxCycleLength; len++) {
      if (this.history.length < len * this.repeats) continue;
      const cycle = this.history.slice(-len).join("\u0000");
      const tail = this.history.slice(-len * this.repeats).join("\u0000");
      if (tail === Array(this.repeats).fill(cycle).join("\u0000")) return true;
    }
    return false;
  }
}

export interface Price {
  input: number;
  output: number;
  cachedInput?: number;
}

export function naivePriceTable(table: Record<string, Price>): { pattern: RegExp; key: string; price: Price }[] {
  return Object.entries(table).map(([key, price]) => ({ pattern: new RegExp(`^${key.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(-.*)?$`), key, price }));
}

export function naiveCost(
  rows: readonly { pattern: RegExp; key: string; price: Price }[],
  model: string,
  usage: { inputTokens: number; outputTokens: number; cachedInputTokens: number },
): number | undefined {
  let best: { key: string; price: Price } | undefined;
  for (const row of rows) if (row.pattern.test(model) && (!best || row.key.length > best.key.length)) best = row;
  if (!best) return undefined;
  const cached = Math.min(usage.cachedInputTokens, usage.inputTokens);
  return ((usage.inputTokens - cached) * best.price.input + cached * (best.price.cachedInput ?? best.price.input) + usage.outputTokens * best.price.output) / 1e6;
}
