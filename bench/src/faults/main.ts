/**
 * The attacks and faults of issue 13, re-run on loopback with real servers, each bounded.
 * For each: what was tried, state changes that must not happen, 5xx replies, crashes, and
 * acknowledged transitions lost. Writes results/faults.md.
 *   node src/faults/main.ts [--only file,data,redis,receiver,alerts or group.scenario, e.g. file.kills] [--runs 3] [--kills 65] [--freeze 20] [--seconds 10]
 * Needs root (unshare, prlimit, mount) for the PID-namespace runs; they are skipped otherwise.
 */
import { parseArgs } from "node:util";
import { fmt, table, writeResult } from "../lib/report.ts";
import { concurrentClients, pid1ReceiverRestart, pidNamespaceWriters, receiverKills } from "./file-store.ts";
import { fileDataFaults, redisDataFaults } from "./data-faults.ts";
import { canUnshare, type FaultRow } from "./lib.ts";
import { clusterRollbacks, hungRedis, killAfterAck, sentinelFailover, stoppedRedis } from "./redis-faults.ts";
import { fuzzAndCredentials, nestedJsonFlood, replays, slowClients, whichRollout } from "./receiver-attacks.ts";

const { values } = parseArgs({
  options: {
    only: { type: "string" },
    runs: { type: "string", default: "3" },
    kills: { type: "string", default: "65" },
    freeze: { type: "string", default: "20" },
    seconds: { type: "string", default: "10" },
  },
});
const only = values.only?.split(",");
const runs = Number(values.runs);
type Scenario = [name: string, run: () => Promise<FaultRow | FaultRow[]>];
const groups: { name: string; scenarios: Scenario[] }[] = [
  {
    name: "file",
    scenarios: [
      ...(canUnshare
        ? ([
            ["pidns", () => pidNamespaceWriters(Math.max(runs, 7))],
            ["pid1", () => pid1ReceiverRestart(runs)],
          ] satisfies Scenario[])
        : []),
      ["kills", () => receiverKills(Number(values.kills))],
      ["concurrency", () => concurrentClients(5)],
    ],
  },
  {
    name: "data",
    scenarios: [
      ["file", () => fileDataFaults(20)],
      ["redis", () => redisDataFaults(20)],
    ],
  },
  {
    name: "redis",
    scenarios: [
      ["hung", () => hungRedis(Number(values.freeze))],
      ["stopped", () => stoppedRedis()],
      ["durability", () => killAfterAck(runs)],
      ["sentinel", () => sentinelFailover(runs)],
      ["cluster", () => clusterRollbacks()],
    ],
  },
  {
    name: "receiver",
    scenarios: [
      ["nested", () => nestedJsonFlood(Number(values.seconds))],
      ["slow", () => slowClients()],
      ["replay", () => replays(10)],
      ["fuzz", () => fuzzAndCredentials(5_000)],
    ],
  },
  { name: "alerts", scenarios: [["scope", () => whichRollout(Math.max(runs, 5))]] },
];

const rows: FaultRow[] = [];
let failed = 0;
for (const group of groups) {
  for (const [name, run] of group.scenarios) {
    const id = `${group.name}.${name}`;
    if (only && !only.includes(group.name) && !only.includes(id)) continue;
    const started = Date.now();
    process.stdout.write(`faults: ${id} ...\n`);
    try {
      const result = await run();
      rows.push(...(Array.isArray(result) ? result : [result]));
    } catch (error) {
      // A scenario that could not finish is reported, and the others still run.
      failed++;
      rows.push({ area: group.name, fault: id, tries: "-", unwanted: 0, errors5xx: 0, crashes: 0, lostAcks: 0, detail: `DID NOT FINISH: ${(error as Error).message.replaceAll("|", "/").slice(0, 200)}` });
    }
    process.stdout.write(`faults: ${id} done in ${fmt((Date.now() - started) / 1000, 0)} s\n`);
  }
}

const clean = failed === 0 && rows.every((r) => r.baseline || (r.unwanted === 0 && r.crashes === 0 && r.lostAcks === 0));
writeResult(
  "faults",
  "Attacks and faults of issue 13, re-run",
  `Loopback only, real redis-server (standalone, Sentinel, Cluster), the \`agent-canary receiver\` CLI as a child process where latency, memory or crashes are measured (as PID 1 of its own PID namespace for the container runs), real agent runtimes (AgentCanary on RedisStore) as routers. ` +
    `Columns: what was tried; state changes that must not happen; replies of 500 or more (a 503 "retry" from a hung store is one, and is what makes Alertmanager retry); processes that died on their own; acknowledged transitions the store no longer has. ` +
    `${canUnshare ? "" : "Not root: the PID-namespace runs were skipped. "}Run with \`node src/faults/main.ts\` (flags in its header).\n\n` +
    table(
      ["area", "fault", "tries", "unwanted changes", "5xx", "crashes", "acks lost", "detail"],
      rows.map((r) => [r.area, r.baseline ? `${r.fault} (baseline for comparison)` : r.fault, r.tries, String(r.unwanted), String(r.errors5xx), String(r.crashes), String(r.lostAcks), r.detail]),
    ) +
    `\n\n${clean ? "No unwanted change, no crash and no acknowledged transition lost in any row but the baselines." : "SOME ROWS FAILED: see unwanted changes, crashes or acks lost above."}\n`,
);
if (!clean) process.exitCode = 1;
