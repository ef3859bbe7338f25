/**
 * Per-call overhead of this checkout against another one (a commit extracted
 * with `git archive` and built), measured in the same interleaved rounds, so a
 * change can show it did not make the LLM-call path slower. Runs the variant
 * script of each checkout in fresh processes: the uninstrumented and peer
 * variants come from this checkout, "ours" from both.
 *   node --expose-gc src/overhead/compare.ts --base /tmp/ac-base [--label 6210615] [--calls 20000] [--rounds 5]
 * Writes results/overhead-vs-base.md.
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { runJsonChild } from "../lib/child.ts";
import { fmt, table, writeResult } from "../lib/report.ts";
import { median } from "../lib/stats.ts";
import type { LatencyResult } from "./variant.ts";

const FLAGS = ["--expose-gc"];
const HERE = fileURLToPath(new URL("./variant.ts", import.meta.url));

interface Run {
  label: string;
  script: string;
  variant: string;
  medians: number[];
  sessionUs: number[];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { base: { type: "string" }, label: { type: "string", default: "base" }, calls: { type: "string", default: "20000" }, rounds: { type: "string", default: "5" } },
  });
  if (!values.base) throw new Error("--base <checkout> is required: a built checkout of the commit to compare against");
  const base = join(values.base, "bench", "src", "overhead", "variant.ts");
  const runs: Run[] = [
    { label: "none-openai6", script: HERE, variant: "none-openai6", medians: [], sessionUs: [] },
    { label: "peer-openai6", script: HERE, variant: "peer-openai6", medians: [], sessionUs: [] },
    { label: `ours-openai6 @ ${values.label}`, script: base, variant: "ours-openai6", medians: [], sessionUs: [] },
    { label: "ours-openai6 @ this checkout", script: HERE, variant: "ours-openai6", medians: [], sessionUs: [] },
    { label: "none-openai7", script: HERE, variant: "none-openai7", medians: [], sessionUs: [] },
    { label: `ours-openai7 @ ${values.label}`, script: base, variant: "ours-openai7", medians: [], sessionUs: [] },
    { label: "ours-openai7 @ this checkout", script: HERE, variant: "ours-openai7", medians: [], sessionUs: [] },
  ];
  for (let r = 0; r < Number(values.rounds); r++) {
    for (const run of runs) {
      const res = await runJsonChild<LatencyResult>(run.script, [run.variant, "latency", values.calls!], FLAGS);
      run.medians.push(median(res.samplesUs));
      run.sessionUs.push(...res.sessionUs);
      process.stdout.write(`round ${r + 1}: ${run.label} ${fmt(median(res.samplesUs))} µs/call\n`);
    }
  }
  const med = (label: string) => median(runs.find((r) => r.label === label)!.medians);
  const added = (run: Run) => median(run.medians) - med(run.variant.endsWith("6") ? "none-openai6" : "none-openai7");
  const peer = added(runs[1]!);
  const rows = runs.map((run) => {
    const isOurs = run.variant.startsWith("ours");
    return [
      run.label,
      fmt(median(run.medians)),
      run.variant.startsWith("none") ? "baseline" : fmt(added(run)),
      isOurs && run.variant.endsWith("6") ? `${(added(run) / peer).toFixed(2)}x` : "",
      isOurs ? fmt(median(run.sessionUs)) : "",
    ];
  });
  const ours6 = runs.filter((r) => r.variant === "ours-openai6");
  const ours7 = runs.filter((r) => r.variant === "ours-openai7");
  const body = [
    `The LLM-call path of this checkout against ${values.label}, in the same ${values.rounds} interleaved rounds of ${values.calls} calls per variant (setup as in overhead.md). Median of per-round medians.`,
    "",
    table(["variant", "median µs/call", "added µs/call", "vs peer", "session start+end µs (median)"], rows),
    "",
    `Added per call, this checkout / ${values.label}: openai 6 ${(added(ours6[1]!) / added(ours6[0]!)).toFixed(2)}x, openai 7 ${(added(ours7[1]!) / added(ours7[0]!)).toFixed(2)}x.`,
  ].join("\n");
  writeResult("overhead-vs-base", `Per-call overhead against ${values.label}`, body);
}

await main();
