/** Routing decisions per second: the shipped routingSlotOf + isCanarySlot against a named naive baseline. */
import { createHash } from "node:crypto";
import { routingSlotOf, isCanarySlot } from "@agent-canary/conventions";
import { throughputs, type Throughput } from "../lib/throughput.ts";

/** The common big-integer router: the whole digest as one big integer, then modulo. */
export function naiveSlot(sessionId: string): number {
  const hex = createHash("sha256").update(sessionId).digest("hex");
  return Number(BigInt(`0x${hex}`) % 10_000n);
}

export function sessionIds(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `sess-${i.toString(36)}-${(i * 2654435761) >>> 0}`);
}

export function assignmentBenchmarks(n = 200_000): Throughput[] {
  const ids = sessionIds(n);
  const percent = 5;
  // Agreement check first: a fast slot that disagrees with the reference would be worthless.
  for (const id of ids.slice(0, 10_000)) if (naiveSlot(id) !== routingSlotOf(id)) throw new Error(`routingSlotOf disagrees with the BigInt reference on ${id}`);
  return throughputs(
    [
      { name: "naive: sha256 hex -> BigInt % 10000 (the common big-integer router)", decide: (id) => isCanarySlot(naiveSlot(id), percent) },
      { name: "ours: routingSlotOf + isCanarySlot (conventions)", decide: (id) => isCanarySlot(routingSlotOf(id), percent) },
      { name: "ours, salted: routingSlotOf(id, salt) + isCanarySlot", decide: (id) => isCanarySlot(routingSlotOf(id, "2026-11"), percent) },
    ],
    ids,
  );
}
