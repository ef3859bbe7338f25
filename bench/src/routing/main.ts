/**
 * Routing: assignments per second, and the time a state change takes to reach
 * N router processes through FileStore and RedisStore (real redis-server).
 *   node src/routing/main.ts [--routers 4] [--changes 50]
 */
import { parseArgs } from "node:util";
import { startRedis } from "@agent-canary/testkit";
import { fmt, table, writeResult } from "../lib/report.ts";
import { quantile } from "../lib/stats.ts";
import { assignmentBenchmarks } from "./assign.ts";
import { measurePropagation, tempDir, type PropagationResult } from "./propagation.ts";

function propagationRow(label: string, r: PropagationResult): string[] {
  const ms = (v: number): string => fmt(v, 2);
  return [
    label,
    String(r.allSeenMs.length),
    ms(quantile(r.writeMs, 0.5)),
    ms(quantile(r.eachSeenMs, 0.5)),
    ms(quantile(r.allSeenMs, 0.5)),
    ms(quantile(r.allSeenMs, 0.99)),
    ms(Math.max(...r.allSeenMs)),
    String(r.missed),
  ];
}

async function propagation(routers: number, changes: number): Promise<string[][]> {
  const rows: string[][] = [];
  const tmp = await tempDir();
  try {
    rows.push(propagationRow("FileStore (fs.watch, read at once on the rename + 20 ms debounced re-read, fsync'd writes)", await measurePropagation("file", tmp.dir, routers, changes)));
  } finally {
    await tmp.remove();
  }
  const redis = await startRedis();
  try {
    rows.push(propagationRow("RedisStore (Lua CAS + PUBLISH, real redis-server)", await measurePropagation("redis", redis.redisUrl, routers, changes)));
  } finally {
    await redis.stop();
  }
  return rows;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { routers: { type: "string", default: "4" }, changes: { type: "string", default: "50" } } });
  const routers = Number(values.routers);
  const changes = Number(values.changes);
  const assign = assignmentBenchmarks();
  const naive = assign[0]?.opsPerSecond ?? Number.NaN;
  const assignRows = assign.map((t) => [t.name, fmt(t.opsPerSecond / 1e6, 2), fmt(1e6 / t.opsPerSecond, 2), `${fmt(t.opsPerSecond / naive, 2)}x`]);
  const prop = await propagation(routers, changes);
  writeResult(
    "routing",
    "Routing",
    `## Assignments per second (one core)\n\n200,000 distinct session ids, 5% canary, median of 7 interleaved rounds after a warm-up. Every slot was first checked equal to the BigInt reference on 10,000 ids.\n\n` +
      table(["decision", "million / s", "µs each", "vs naive"], assignRows) +
      `\n\n## State change to ${routers} routers in separate processes\n\n` +
      `${changes} changes of canaryPercent through transition() (read + compareAndSet, durable when it resolves), 50-100 ms apart. Each router is a separate Node process following the state with store.watch() (what the agent's Router does) and reporting over IPC when each revision arrived. ` +
      `Times are from the moment the writer called transition() to the moment a router's callback ran (wall clock, same machine), so they include the durable write. Target: p99 < 100 ms.\n\n` +
      table(["store", "changes seen", "write p50 ms", "per router p50 ms", "all routers p50 ms", "all routers p99 ms", "max ms", "missed"], prop),
  );
}

await main();
