// Shadow mode under faults, as a reviewer met them, with real timers and a real HTTP judge:
// 1. candidates that ignore their signal and keep calling a slow read tool past their timeout,
//    under a steady stream of requests with a cap of 2: peak live candidate runs, tool calls after abort;
// 2. a judge (openai SDK, local server) that never answers: how long close() takes.
// Run after building: node packages/shadow/bench/faults.mjs
// SHADOW_BASELINE=<path to another build's dist/index.js> runs the same scenarios on that build too.
import { createServer } from "node:http";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import * as current from "@agent-canary/shadow";
import OpenAI from "openai";

const quiet = { info() {}, warn() {} };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const versions = { production: "aaaaaaaaaaaaaaaa", candidate: "bbbbbbbbbbbbbbbb" };

async function stubbornCandidates(shadowModule) {
  let live = 0;
  let peakLive = 0;
  let executions = 0;
  let afterAbort = 0;
  const tools = {
    lookup_order: {
      kind: "read",
      execute: async (_args, signal) => {
        executions++;
        if (signal.aborted) afterAbort++;
        await sleep(15); // an order API that ignores the signal
        return { status: "delivered" };
      },
    },
  };
  const candidate = async (_input, ctx) => {
    live++;
    peakLive = Math.max(peakLive, live);
    try {
      for (let i = 0; i < 10; i++) await ctx.callTool("lookup_order", { i }); // ignores ctx.signal
      return "done";
    } finally {
      live--;
    }
  };
  const shadow = shadowModule.createShadow({
    production: { run: async () => "production answer", version: versions.production },
    candidate: { run: candidate, version: versions.candidate },
    tools,
    maxConcurrentCandidates: 2,
    candidateTimeoutMs: 20,
    logger: quiet,
  });
  let shadowed = 0;
  shadow.on("candidate_started", () => shadowed++);
  for (let i = 0; i < 60; i++) {
    await shadow.run(i, { requestId: `r${i}` });
    await sleep(5);
  }
  await shadow.close();
  await sleep(200); // let runs the old build stopped waiting for finish, so their calls are counted
  return { requests: 60, shadowed, peakLive, executions, afterAbort };
}

async function hangingJudgeClose(shadowModule) {
  const server = createServer(() => undefined); // reads the request, never answers
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const client = new OpenAI({ baseURL: `http://127.0.0.1:${server.address().port}/v1`, apiKey: "bench" });
  const shadow = shadowModule.createShadow({
    production: { run: async () => "production answer", version: versions.production },
    candidate: { run: async () => "candidate answer", version: versions.candidate },
    compare: { judge: shadowModule.createOpenAIJudge({ client, model: "hanging" }), judgeSampleRate: 1 },
    closeTimeoutMs: 1000,
    logger: quiet,
  });
  await shadow.run("x", { requestId: "r1" });
  await sleep(100);
  const started = performance.now();
  const limit = 5000;
  const returned = await Promise.race([shadow.close().then(() => true), sleep(limit).then(() => false)]);
  const ms = Math.round(performance.now() - started);
  server.closeAllConnections();
  server.close();
  return returned ? `returned after ${ms} ms` : `had not returned after ${limit} ms (given up)`;
}

const builds = [["this build", current]];
if (process.env.SHADOW_BASELINE) builds.push([`SHADOW_BASELINE (${process.env.SHADOW_BASELINE})`, await import(pathToFileURL(resolve(process.env.SHADOW_BASELINE)).href)]);
for (const [name, build] of builds) {
  const stubborn = await stubbornCandidates(build);
  console.log(`${name}: stubborn candidates, cap 2, 60 requests 5 ms apart, 20 ms timeout, 10 reads of 15 ms each:`);
  console.log(`  shadowed ${stubborn.shadowed}, peak live candidate runs ${stubborn.peakLive}, tool executions ${stubborn.executions}, of which after abort ${stubborn.afterAbort}`);
  const judge = await hangingJudgeClose(build);
  console.log(`  judge that never answers (openai SDK), closeTimeoutMs 1000: close() ${judge}`);
}
process.exit(0); // the old build may leave a judge request and its timers behind
