import type { ToolDefinition } from "./agent.js";

/** A write a run asked for and did not get: what an overlay builds on. */
export interface InterceptedWrite {
  readonly tool: string;
  readonly args: unknown;
  /** What the run was told the write returned (the dry-run result). */
  readonly result: unknown;
}

/**
 * What a read of a key this run or production wrote saw:
 * - `overlaid`: the read tool's overlay answered, from this run's intercepted writes;
 * - `own_write_missed`: this run's write to the key was intercepted and the read went to the real
 *   system, which never saw it (the tool has no overlay);
 * - `production_write_seen`: production really wrote the key earlier in the same request, so the
 *   candidate read production's world, not its own.
 */
export const READ_AFTER_WRITE = ["overlaid", "own_write_missed", "production_write_seen"] as const;
export type ReadAfterWrite = (typeof READ_AFTER_WRITE)[number];

/**
 * The key a tool call touches, or undefined when the tool declares none. A key
 * function that throws or returns something other than a string leaves the
 * call untracked: production must never fail on it.
 */
export function keyOf(tool: ToolDefinition, args: unknown): string | undefined {
  if (!tool.key) return undefined;
  try {
    const key = tool.key(args);
    return typeof key === "string" ? key : undefined;
  } catch {
    return undefined;
  }
}

/** Keys production really wrote during one request, told to the candidate run of the same request. */
export class ProductionWrites {
  private readonly keys = new Set<string>();

  note(key: string): void {
    this.keys.add(key);
  }

  has(key: string): boolean {
    return this.keys.has(key);
  }
}

/** One run's intercepted writes, by key, oldest first. The map is made on the first write: most runs have none. */
export class InterceptedWrites {
  private byKey: Map<string, InterceptedWrite[]> | undefined;

  add(key: string, write: InterceptedWrite): void {
    this.byKey ??= new Map();
    const list = this.byKey.get(key) ?? [];
    list.push(write);
    this.byKey.set(key, list);
  }

  get(key: string): readonly InterceptedWrite[] | undefined {
    return this.byKey?.get(key);
  }
}
