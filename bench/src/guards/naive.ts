/**
 * Named naive baselines: what a first implementation would do.
 * - NaiveLoopDetector keeps the whole call history and, on every call, joins
 *   slices of it into strings to compare the last `repeats` cycles.
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
