import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import OpenAI from "openai";
import { afterAll, describe, expect, it } from "vitest";
import { createOpenAIEmbedder, createOpenAIJudge, createShadow, type ComparisonRecord } from "../src/index.js";
import { startSilentServer, type SilentServer } from "./support/silent-server.js";

const PRODUCTION = "aaaaaaaaaaaaaaaa";
const CANDIDATE = "bbbbbbbbbbbbbbbb";
const CHAT = "/v1/chat/completions";
const fixtures = join(dirname(fileURLToPath(import.meta.url)), "fixtures");
const quiet = { info: () => undefined, warn: () => undefined };

const servers: SilentServer[] = [];
afterAll(() => Promise.all(servers.map((s) => s.close())));

/** A hanging API of its own per test, so no test counts another's requests. */
async function hangingApi(): Promise<{ server: SilentServer; client: OpenAI }> {
  const server = await startSilentServer();
  servers.push(server);
  // The SDK's own defaults (two retries, a 10-minute timeout): the shadow's bound must hold regardless.
  return { server, client: new OpenAI({ baseURL: server.baseURL, apiKey: "local-test" }) };
}

const answer = (text: string) => async () => text;

describe("judge and embedder calls that never answer", () => {
  it("aborts the judge's SDK request at judgeTimeoutMs, records a judge error and frees the slot for the next request", async () => {
    const { server, client } = await hangingApi();
    const shadow = createShadow({
      production: { run: answer("Your refund of 42 USD is on its way."), version: PRODUCTION },
      candidate: { run: answer("Refund sent: 42 USD."), version: CANDIDATE },
      maxConcurrentCandidates: 1,
      compare: { judge: createOpenAIJudge({ client, model: "hanging-judge" }), judgeSampleRate: 1, judgeTimeoutMs: 300 },
      logger: quiet,
    });
    const dropped: string[] = [];
    shadow.on("dropped", ({ id }) => dropped.push(id));

    const first = once(shadow, "comparison") as Promise<[ComparisonRecord]>;
    const slotFree = once(shadow, "candidate_stopped");
    await shadow.run("ticket 1", { requestId: "r1" });
    const [comparison] = await first;
    expect(comparison.judge).toEqual({ trigger: expect.any(String), error: "judge did not answer within 300 ms (compare.judgeTimeoutMs); its request was aborted" });
    // The SDK got the signal: the HTTP request was closed, not left open behind the timeout.
    await server.abandonedByClient(1, CHAT);
    await slotFree;

    // The slot came back: the next request is shadowed, not dropped.
    const second = once(shadow, "comparison") as Promise<[ComparisonRecord]>;
    await shadow.run("ticket 2", { requestId: "r2" });
    expect((await second)[0].id).toBe("r2");
    expect(dropped).toEqual([]);
    expect(await shadow.close()).toMatchObject({ timedOut: false, cutShort: 0, abandoned: 0 });
  });

  it("aborts both embedding requests at embedderTimeoutMs and falls back to the lexical score", async () => {
    const { server, client } = await hangingApi();
    const warnings: string[] = [];
    const shadow = createShadow({
      production: { run: answer("Your refund of 42 USD is on its way."), version: PRODUCTION },
      candidate: { run: answer("Your refund of 42 USD is on its way."), version: CANDIDATE },
      compare: { embedder: createOpenAIEmbedder({ client, model: "hanging-embedder" }), embedderTimeoutMs: 300 },
      logger: { info: () => undefined, warn: (message, fields) => warnings.push(`${message} ${JSON.stringify(fields)}`) },
    });
    const comparison = once(shadow, "comparison") as Promise<[ComparisonRecord]>;
    await shadow.run("ticket", { requestId: "e1" });
    expect((await comparison)[0].similarity).toEqual({ score: 1, method: "lexical", band: "equivalent" });
    // Both embedding requests were closed by the SDK.
    await server.abandonedByClient(2, "/v1/embeddings");
    expect(warnings.join("\n")).toContain("embedder did not answer within 300 ms (compare.embedderTimeoutMs)");
    await shadow.close();
  });

  it("returns from close() within its timeout: hanging judge aborted, hanging candidate cut short, the file flushed", async () => {
    const dir = await mkdtemp(join(tmpdir(), "shadow-close-"));
    const comparisonsFile = join(dir, "comparisons.jsonl");
    const { server, client } = await hangingApi();
    let candidateSignal: AbortSignal | undefined;
    const shadow = createShadow<string, string>({
      production: { run: answer("production answer"), version: PRODUCTION },
      candidate: {
        // r1 answers at once (then waits on the judge); r2 never answers and ignores its signal.
        run: (input, ctx) => (input === "hang" ? ((candidateSignal = ctx.signal), new Promise<string>(() => undefined)) : Promise.resolve("candidate answer")),
        version: CANDIDATE,
      },
      maxConcurrentCandidates: 2,
      comparisonsFile,
      // Default 30 s judge and candidate timeouts: only close() can end this quickly.
      compare: { judge: createOpenAIJudge({ client, model: "hanging-judge" }), judgeSampleRate: 1 },
      logger: quiet,
    });
    await shadow.run("answer", { requestId: "r1" });
    await shadow.run("hang", { requestId: "r2" });
    await server.arrived(1, CHAT);

    const summary = await shadow.close({ timeoutMs: 50 });
    expect(summary).toEqual({ pending: 2, timedOut: true, cutShort: 1, abandoned: 1 });
    expect(candidateSignal?.aborted).toBe(true);
    expect(shadow.pending).toBe(0);
    expect(shadow.stats.liveCandidates).toBe(0);
    await server.abandonedByClient(1, CHAT);

    // r1's comparison is kept without a verdict; r2 was cut short by close(), so it is not compared.
    const lines = (await readFile(comparisonsFile, "utf8")).trim().split("\n").map((l) => JSON.parse(l) as ComparisonRecord);
    expect(lines.map((l) => l.id)).toEqual(["r1"]);
    expect(lines[0]?.judge).toMatchObject({ error: "the shadow runner was closed before this finished (close() timeout); it was aborted" });
  });

  it("lets the README's SIGTERM handler end the process while the judge hangs (built package, own process)", async () => {
    const { server } = await hangingApi();
    const dir = await mkdtemp(join(tmpdir(), "shadow-sigterm-"));
    const comparisonsFile = join(dir, "comparisons.jsonl");
    const child = spawn(process.execPath, [join(fixtures, "sigterm-shadow.mjs")], {
      env: { ...process.env, JUDGE_URL: server.baseURL, COMPARISONS_FILE: comparisonsFile },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
    await server.arrived(1, CHAT);
    child.kill("SIGTERM");
    expect(await exited).toEqual([0, null]);
    const [answered, summary] = stdout.trim().split("\n");
    expect(answered).toBe("answered");
    expect(JSON.parse(summary ?? "{}")).toEqual({ pending: 1, timedOut: true, cutShort: 0, abandoned: 0 });
    const [line] = (await readFile(comparisonsFile, "utf8")).trim().split("\n");
    expect((JSON.parse(line ?? "{}") as ComparisonRecord).judge).toMatchObject({ error: expect.stringContaining("closed before this finished") });
  });

  it("rejects a time limit that is not a positive whole number of milliseconds, naming it", () => {
    const make = (judgeTimeoutMs: number) => () =>
      createShadow({ production: { run: answer("p"), version: PRODUCTION }, candidate: { run: answer("c"), version: CANDIDATE }, compare: { judgeTimeoutMs } });
    expect(make(0)).toThrow("compare.judgeTimeoutMs: compare.judgeTimeoutMs must be a whole number of milliseconds above 0, e.g. 30000");
    expect(make(1.5)).toThrow("compare.judgeTimeoutMs must be a whole number");
  });
});
