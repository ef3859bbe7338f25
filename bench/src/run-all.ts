/**
 * `pnpm bench`: every benchmark, one after another, each in its own process,
 * each writing its results/<name>.md. A failing benchmark is reported and the
 * others still run; the exit code says whether all of them finished.
 *   node src/run-all.ts [--only overhead,routing] [--skip e2e]
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const BENCHMARKS: { name: string; script: string; flags: string[] }[] = [
  { name: "overhead", script: "overhead/main.ts", flags: ["--expose-gc"] },
  { name: "decisions", script: "decisions/main.ts", flags: [] },
  { name: "rule-cost", script: "decisions/rule-cost.ts", flags: [] },
  { name: "routing", script: "routing/main.ts", flags: [] },
  { name: "restore", script: "restore/main.ts", flags: [] },
  { name: "guards", script: "guards/main.ts", flags: [] },
  { name: "receiver", script: "receiver/main.ts", flags: [] },
  { name: "e2e", script: "e2e/main.ts", flags: [] },
  { name: "footprint", script: "footprint/main.ts", flags: [] },
  { name: "faults", script: "faults/main.ts", flags: [] },
];

function main(): void {
  const { values } = parseArgs({ options: { only: { type: "string" }, skip: { type: "string" } } });
  const only = values.only?.split(",");
  const skip = values.skip?.split(",") ?? [];
  const failed: string[] = [];
  for (const b of BENCHMARKS) {
    if ((only && !only.includes(b.name)) || skip.includes(b.name)) continue;
    process.stdout.write(`\n=== ${b.name} ===\n`);
    const started = Date.now();
    const script = fileURLToPath(new URL(`./${b.script}`, import.meta.url));
    const res = spawnSync(process.execPath, [...b.flags, script], { stdio: "inherit" });
    process.stdout.write(`=== ${b.name}: ${res.status === 0 ? "done" : `FAILED (exit ${res.status})`} in ${((Date.now() - started) / 1000).toFixed(0)} s ===\n`);
    if (res.status !== 0) failed.push(b.name);
  }
  if (failed.length) {
    process.stderr.write(`benchmarks that did not finish: ${failed.join(", ")}\n`);
    process.exitCode = 1;
  }
}

main();
