/**
 * What an active async scope costs each stack's LLM call, with no
 * instrumentation at all: Node 22's AsyncLocalStorage (without
 * --experimental-async-context-frame) runs a hook on every promise once any
 * storage has been entered, and copies each entered storage's value to it. A
 * stack whose call makes many promises (the AWS SDK's middleware stack) pays
 * more. Interleaved rounds, a fresh process per run, with and without the flag.
 *   node src/overhead/context-tax.ts [--stacks openai7,genai3,bedrock3,ai7] [--calls 5000] [--rounds 3]
 * Writes results/overhead-context-tax.md.
 */
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { runJsonChild } from "../lib/child.ts";
import { fmt, table, writeResult } from "../lib/report.ts";
import { median } from "../lib/stats.ts";
import { SCOPE_MODES, type ScopeMode } from "./context-tax-child.ts";
import { STACKS, type StackName } from "./stacks/index.ts";

const CHILD = fileURLToPath(new URL("./context-tax-child.ts", import.meta.url));
const FLAG_SETS: Record<string, string[]> = { default: [], "async-context-frame": ["--experimental-async-context-frame", "--no-warnings"] };

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { stacks: { type: "string", default: "openai7,genai3,bedrock3,ai7" }, calls: { type: "string", default: "5000" }, rounds: { type: "string", default: "3" } } });
  const stacks = values.stacks!.split(",").map((s) => s.trim()) as StackName[];
  const unknown = stacks.filter((s) => !(s in STACKS));
  if (unknown.length > 0) throw new Error(`--stacks: unknown stack ${unknown.join(", ")}; known: ${Object.keys(STACKS).join(", ")}`);
  const medians = new Map<string, number[]>();
  const key = (stack: StackName, flags: string, mode: ScopeMode) => `${stack}|${flags}|${mode}`;
  for (let r = 0; r < Number(values.rounds); r++) {
    for (const stack of stacks) {
      for (const [flags, nodeFlags] of Object.entries(FLAG_SETS)) {
        for (const mode of SCOPE_MODES) {
          const res = await runJsonChild<{ medianUs: number }>(CHILD, [stack, mode, values.calls!], nodeFlags);
          medians.set(key(stack, flags, mode), [...(medians.get(key(stack, flags, mode)) ?? []), res.medianUs]);
          process.stdout.write(`round ${r + 1}: ${stack} ${flags} ${mode} ${fmt(res.medianUs)} µs/call\n`);
        }
      }
    }
  }
  const rows = stacks.flatMap((stack) =>
    Object.keys(FLAG_SETS).map((flags) => {
      const m = (mode: ScopeMode) => median(medians.get(key(stack, flags, mode)) ?? []);
      const bare = m("bare");
      return [stack, flags, fmt(bare), fmt(m("otel")), fmt(m("otel") - bare), fmt(m("otel+als")), fmt(m("otel+als") - bare)];
    }),
  );
  const body = [
    `Each stack's call uninstrumented (canned responses, as in overhead.md), timed: bare (no async scope ever entered in the process), inside an OpenTelemetry context (AsyncLocalStorageContextManager, as every call in an agent-canary session runs) and inside that plus one more AsyncLocalStorage (how sessions ran before f44064f's successor: the session in its own storage). ${values.calls} calls per run after a warm-up, ${values.rounds} interleaved rounds, a fresh process per run; median of per-round medians. "default": Node's AsyncLocalStorage on async hooks; "async-context-frame": node --experimental-async-context-frame (the default from Node 24).`,
    "",
    table(["stack", "node flags", "bare µs/call", "in OTel context µs/call", "added", "plus one AsyncLocalStorage µs/call", "added"], rows),
  ].join("\n");
  writeResult("overhead-context-tax", "What an active async scope costs each stack's call", body);
}

await main();
