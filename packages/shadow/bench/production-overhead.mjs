// What shadowing costs production: per-request latency of ShadowRunner.run() against the same
// production agent called directly (the baseline, no shadow), with sampling off and with every
// request shadowed to a 50 ms candidate. The three are measured in alternating rounds, so machine
// noise hits them alike. No OpenTelemetry SDK is installed: the API is a no-op.
// Run after building: node packages/shadow/bench/production-overhead.mjs [requests per round] [rounds]
// SHADOW_BASELINE=<path to another build's dist/index.js> adds that build's run() to the same rounds,
// e.g. an earlier commit's packages/shadow/src compiled aside, to compare two versions on one machine state.
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";
import { createShadow } from "@agent-canary/shadow";

const other = process.env.SHADOW_BASELINE ? await import(pathToFileURL(resolve(process.env.SHADOW_BASELINE)).href) : undefined;

const PER_ROUND = Number(process.argv[2] ?? 5000);
const ROUNDS = Number(process.argv[3] ?? 4);
const tools = { read: { kind: "read", execute: (a) => a } };
const prod = async (i, ctx) => {
  ctx.recordTurn({ costUsd: 0.0001 });
  await ctx.callTool("read", { i });
  return `answer number ${i} for the customer`;
};
const slowCandidate = async (i, ctx) => {
  await ctx.callTool("read", { i });
  await new Promise((r) => setTimeout(r, 50));
  return `answer number ${i} for a customer`;
};
const quiet = { info() {}, warn() {} };
const version = { production: "aaaaaaaaaaaaaaaa", candidate: "bbbbbbbbbbbbbbbb" };

// The baseline: the agent with a bare context, as an app without shadow mode would run it.
const bareContext = { role: "production", signal: new AbortController().signal, recordTurn() {}, callTool: async (name, args) => tools[name].execute(args) };
const direct = (i) => prod(i, bareContext);
const unsampled = createShadow({ production: { run: prod, version: version.production }, candidate: { run: slowCandidate, version: version.candidate }, tools, sampleRate: 0, logger: quiet });
const shadowed = createShadow({ production: { run: prod, version: version.production }, candidate: { run: slowCandidate, version: version.candidate }, tools, maxConcurrentCandidates: 64, logger: quiet });
let dropped = 0;
shadowed.on("dropped", () => dropped++);

const modes = {
  "direct call (baseline, no shadow)": direct,
  "run(), sampling off": (i) => unsampled.run(i, { requestId: `r${i}` }),
  "run(), every request shadowed (50 ms candidate, 64 slots)": (i) => shadowed.run(i, { requestId: `r${i}` }),
};
const closers = [unsampled, shadowed];
if (other) {
  const otherUnsampled = other.createShadow({ production: { run: prod, version: version.production }, candidate: { run: slowCandidate, version: version.candidate }, tools, sampleRate: 0, logger: quiet });
  const otherShadowed = other.createShadow({ production: { run: prod, version: version.production }, candidate: { run: slowCandidate, version: version.candidate }, tools, maxConcurrentCandidates: 64, logger: quiet });
  modes["SHADOW_BASELINE build: run(), sampling off"] = (i) => otherUnsampled.run(i, { requestId: `r${i}` });
  modes["SHADOW_BASELINE build: run(), every request shadowed"] = (i) => otherShadowed.run(i, { requestId: `r${i}` });
  closers.push(otherUnsampled, otherShadowed);
}
const samples = Object.fromEntries(Object.keys(modes).map((m) => [m, []]));

for (let round = 0; round < ROUNDS; round++) {
  for (const [mode, call] of Object.entries(modes)) {
    for (let i = 0; i < PER_ROUND; i++) {
      const t = performance.now();
      await call(round * PER_ROUND + i);
      samples[mode].push(performance.now() - t);
    }
  }
}
await Promise.all(closers.map((c) => c.close()));

const quantile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] * 1000;
const base = [...samples["direct call (baseline, no shadow)"]].sort((a, b) => a - b);
console.log(`${ROUNDS} rounds x ${PER_ROUND} sequential requests per mode, Node ${process.version}`);
for (const [mode, values] of Object.entries(samples)) {
  const sorted = [...values].sort((a, b) => a - b);
  const p50 = quantile(sorted, 0.5);
  const p99 = quantile(sorted, 0.99);
  console.log(`${mode}: p50 ${p50.toFixed(1)} µs (${(p50 / quantile(base, 0.5)).toFixed(2)}x baseline), p99 ${p99.toFixed(1)} µs (${(p99 / quantile(base, 0.99)).toFixed(2)}x)`);
}
console.log(`candidate runs dropped (slots full, never queued): ${dropped} of ${ROUNDS * PER_ROUND} (${((100 * dropped) / (ROUNDS * PER_ROUND)).toFixed(1)}%)`);
