/**
 * Per-call overhead of this checkout against another one (a commit extracted
 * with `git archive` and built), measured in the same interleaved rounds, so a
 * change can show what it did to the LLM-call path. Runs the variant script of
 * each checkout in fresh processes: the uninstrumented and peer variants come
 * from this checkout, "ours" from both.
 *   node --expose-gc src/overhead/compare.ts --base /tmp/ac-base [--label 6210615] [--stacks openai6,openai7]
 *     [--calls 20000] [--rounds 5] [--out overhead-vs-base]
 * Writes results/<out>.md.
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { runJsonChild } from "../lib/child.ts";
import { fmt, table, writeResult } from "../lib/report.ts";
import { median } from "../lib/stats.ts";
import { STACKS, type StackName } from "./stacks/index.ts";
import type { LatencyResult } from "./variant.ts";
import { VARIANTS } from "./variants.ts";

const FLAGS = ["--expose-gc"];
const HERE = fileURLToPath(new URL("./variant.ts", import.meta.url));

interface Run {
  label: string;
  script: string;
  variant: string;
  stack: StackName;
  role: "none" | "peer" | "base" | "this";
  medians: number[];
  sessionUs: number[];
}

function stacksOf(list: string): StackName[] {
  const names = list.split(",").map((s) => s.trim()).filter(Boolean);
  const unknown = names.filter((n) => !(n in STACKS));
  if (unknown.length > 0) throw new Error(`--stacks: unknown stack ${unknown.join(", ")}; known: ${Object.keys(STACKS).join(", ")}`);
  return names as StackName[];
}

/** Per stack: uninstrumented and peer (this checkout), then agent-canary at the base and at this checkout. */
function plan(stacks: StackName[], base: string, label: string): Run[] {
  return stacks.flatMap((stack) => {
    const run = (role: Run["role"], kind: string, script: string, name: string): Run => ({ label: name, script, variant: `${kind}-${stack}`, stack, role, medians: [], sessionUs: [] });
    const peer = (VARIANTS as readonly string[]).includes(`peer-${stack}`) ? [run("peer", "peer", HERE, `peer-${stack}`)] : [];
    return [run("none", "none", HERE, `none-${stack}`), ...peer, run("base", "ours", base, `ours-${stack} @ ${label}`), run("this", "ours", HERE, `ours-${stack} @ this checkout`)];
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      base: { type: "string" },
      label: { type: "string", default: "base" },
      stacks: { type: "string", default: "openai6,openai7" },
      calls: { type: "string", default: "20000" },
      rounds: { type: "string", default: "5" },
      out: { type: "string", default: "overhead-vs-base" },
    },
  });
  if (!values.base) throw new Error("--base <checkout> is required: a built checkout of the commit to compare against");
  const stacks = stacksOf(values.stacks!);
  const runs = plan(stacks, join(values.base, "bench", "src", "overhead", "variant.ts"), values.label!);
  for (let r = 0; r < Number(values.rounds); r++) {
    for (const run of runs) {
      const res = await runJsonChild<LatencyResult>(run.script, [run.variant, "latency", values.calls!], FLAGS);
      run.medians.push(median(res.samplesUs));
      run.sessionUs.push(...res.sessionUs);
      process.stdout.write(`round ${r + 1}: ${run.label} ${fmt(median(res.samplesUs))} µs/call\n`);
    }
  }
  const find = (stack: StackName, role: Run["role"]) => runs.find((r) => r.stack === stack && r.role === role);
  const added = (run: Run) => median(run.medians) - median(find(run.stack, "none")!.medians);
  const rows = runs.map((run) => {
    const peer = find(run.stack, "peer");
    const isOurs = run.role === "base" || run.role === "this";
    return [
      run.label,
      fmt(median(run.medians)),
      run.role === "none" ? "baseline" : fmt(added(run)),
      isOurs && peer ? `${(added(run) / added(peer)).toFixed(2)}x` : "",
      isOurs ? fmt(median(run.sessionUs)) : "",
    ];
  });
  const ratios = stacks.map((stack) => `${stack} ${(added(find(stack, "this")!) / added(find(stack, "base")!)).toFixed(2)}x`);
  const body = [
    `The LLM-call path of this checkout against ${values.label}, in the same ${values.rounds} interleaved rounds of ${values.calls} calls per variant (setup as in overhead.md). Median of per-round medians; "added" against the same stack uninstrumented in the same rounds.`,
    "",
    table(["variant", "median µs/call", "added µs/call", "vs peer", "session start+end µs (median)"], rows),
    "",
    `Added per call, this checkout / ${values.label}: ${ratios.join(", ")}.`,
  ].join("\n");
  writeResult(values.out!, `Per-call overhead against ${values.label}`, body);
}

await main();
