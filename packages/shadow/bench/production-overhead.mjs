// What shadowing costs production: per-request latency of ShadowRunner.run() with sampling off
// versus shadowing every request to a 50 ms candidate (no OpenTelemetry SDK installed: the API is a no-op).
// Run after building: node packages/shadow/bench/production-overhead.mjs
import { createShadow } from "@agent-canary/shadow";
const N = 20000;
const prod = async (i, ctx) => { await ctx.callTool("read", { i }); return `answer number ${i} for the customer`; };
const slowCandidate = async (i, ctx) => { await ctx.callTool("read", { i }); await new Promise((r) => setTimeout(r, 50)); return `answer number ${i} for a customer`; };
const tools = { read: { kind: "read", execute: (a) => a } };
const quiet = { info() {}, warn() {} };
async function time(label, fn) {
  const lat = [];
  for (let i = 0; i < N; i++) { const t = performance.now(); await fn(i); lat.push(performance.now() - t); }
  lat.sort((a, b) => a - b);
  const q = (p) => (lat[Math.floor(p * N)] * 1000).toFixed(1);
  console.log(`${label}: p50 ${q(0.5)} µs, p99 ${q(0.99)} µs`);
}
const bare = createShadow({ production: { run: prod, version: "aaaaaaaaaaaaaaaa" }, candidate: { run: slowCandidate, version: "bbbbbbbbbbbbbbbb" }, tools, sampleRate: 0, logger: quiet });
await time("not sampled (production only)", (i) => bare.run(i, { requestId: `r${i}` }));
const shadow = createShadow({ production: { run: prod, version: "aaaaaaaaaaaaaaaa" }, candidate: { run: slowCandidate, version: "bbbbbbbbbbbbbbbb" }, tools, maxConcurrentCandidates: 64, logger: quiet });
let dropped = 0; shadow.on("dropped", () => dropped++);
await time("shadowed, 50 ms candidate, 64 slots", (i) => shadow.run(i, { requestId: `r${i}` }));
await shadow.close();
console.log(`dropped ${dropped} of ${N}`);
