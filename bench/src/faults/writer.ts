/**
 * A store writer for the fault runs: `count` transitions (or forever), printing
 * "ack <revision>" after each acknowledged one. Run as PID 1 of its own namespace by file-store.ts.
 *   node writer.ts <dir> <deployment> [count]
 */
import { FileStore, setPercent, transition } from "@agent-canary/rollout-state";

const [dir, deployment, count] = process.argv.slice(2) as [string, string, string | undefined];
const limit = count === undefined ? Infinity : Number(count);
const store = new FileStore({ dir });
for (let i = 0; i < limit; i++) {
  const result = await transition(store, deployment, (state, now) => setPercent(deployment, ((state?.canaryPercent ?? 0) + 1) % 100)(state, now), { by: `writer:${process.pid}`, reason: "fault run" });
  process.stdout.write(`ack ${result.state?.revision}\n`);
}
