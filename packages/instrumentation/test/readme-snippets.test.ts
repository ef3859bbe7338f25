import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, realpath, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLlmStandIn } from "./helpers/llm-stand-in.js";

const run = promisify(execFile);
const pkg = join(dirname(fileURLToPath(import.meta.url)), "..");
const REPLY = "hello from the stand-in";

interface Block {
  lang: string;
  attrs: string[];
  code: string;
}

/** The fenced code blocks of a markdown text: ```lang attr attr=value, also indented in a list item (then dedented). */
function codeBlocks(markdown: string): Block[] {
  return [...markdown.matchAll(/^( *)```(\w+)([^\n]*)\n([\s\S]*?)^\1```$/gm)].map((m) => ({
    lang: m[2]!,
    attrs: m[3]!.trim().split(/\s+/).filter(Boolean),
    code: m[4]!.replace(new RegExp(`^${m[1]!}`, "gm"), ""),
  }));
}

/** What the READMEs' programs import besides agent-canary, linked from this package's own dependencies. */
const LINKED = ["openai", "ai", "@ai-sdk/openai", "@opentelemetry/api", "@opentelemetry/context-async-hooks", "@opentelemetry/sdk-trace"];

/** The root README's step 1 (instrumenting the agent). */
async function rootInstrumentStep(): Promise<string> {
  const readme = await readFile(join(pkg, "..", "..", "README.md"), "utf8");
  const start = readme.indexOf("**1. Instrument the agent**");
  const end = readme.indexOf("**2. Generate the rules");
  expect(start, "the root README's step 1").toBeGreaterThan(0);
  return readme.slice(start, end);
}

/**
 * The READMEs' code, run as written (issue 11, item 8): in a fresh project that
 * has only the built package and what the blocks import (LINKED) installed, against a local stand-in
 * for the OpenAI API. A block `file=NAME` is written as that file; an `sh run`
 * block is run with bash; any other ts/js block is a program of its own.
 */
describe("README code blocks run as written", () => {
  let standIn: Awaited<ReturnType<typeof startLlmStandIn>>;
  let project = "";
  beforeAll(async () => {
    standIn = await startLlmStandIn(() => ({ text: REPLY, usage: { input: 20, output: 5 } }));
    project = await mkdtemp(join(tmpdir(), "agent-canary-readme-"));
    await mkdir(join(project, "node_modules", "@agent-canary"), { recursive: true });
    await symlink(pkg, join(project, "node_modules", "@agent-canary", "instrumentation"));
    for (const name of LINKED) {
      await mkdir(dirname(join(project, "node_modules", name)), { recursive: true });
      await symlink(await realpath(join(pkg, "node_modules", name)), join(project, "node_modules", name));
    }
    await writeFile(join(project, "package.json"), JSON.stringify({ name: "readme-app", private: true, type: "module" }));
  });
  afterAll(async () => {
    await standIn.close();
    await rm(project, { recursive: true, force: true });
  });

  const env = () => {
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("AGENT_CANARY_") && !k.startsWith("OTEL_")));
    // What a developer's machine has: an API endpoint and key; no collector (traces off) and no fixed port.
    return { ...clean, OPENAI_BASE_URL: `${standIn.url}/v1`, OPENAI_API_KEY: "test", OTEL_TRACES_EXPORTER: "none", AGENT_CANARY_METRICS_PORT: "0" };
  };

  async function runBlocks(markdown: string): Promise<{ block: Block; stdout: string; stderr: string }[]> {
    const results: { block: Block; stdout: string; stderr: string }[] = [];
    const blocks = codeBlocks(markdown).filter((b) => ["ts", "js", "sh"].includes(b.lang));
    for (const block of blocks) {
      const file = block.attrs.find((a) => a.startsWith("file="))?.slice("file=".length);
      if (file) await writeFile(join(project, file), block.code);
    }
    for (const [i, block] of blocks.entries()) {
      if (block.attrs.some((a) => a.startsWith("file="))) continue;
      if (block.lang === "sh" && !block.attrs.includes("run")) continue;
      const command = block.lang === "sh" ? ["bash", ["-c", block.code]] : [process.execPath, [await program(i, block)]];
      const { stdout, stderr } = await run(command[0] as string, command[1] as string[], { cwd: project, env: env() }).catch((error: { stdout: string; stderr: string; message: string }) => {
        throw new Error(`README block ${i + 1} (${block.lang}) failed:\n${block.code}\n${error.stderr || error.message}`);
      });
      results.push({ block, stdout, stderr });
    }
    return results;
  }

  async function program(i: number, block: Block): Promise<string> {
    const file = join(project, `block-${i + 1}.${block.lang === "ts" ? "mts" : "mjs"}`);
    await writeFile(file, block.code);
    return file;
  }

  it("packages/instrumentation/README.md", async () => {
    const readme = await readFile(join(pkg, "README.md"), "utf8");
    // No block escapes the run by the way it is fenced.
    expect(codeBlocks(readme)).toHaveLength(readme.match(/^ *```\w/gm)?.length ?? 0);
    const results = await runBlocks(readme);
    expect(results.length).toBeGreaterThanOrEqual(5);
    for (const { stdout, stderr } of results) {
      expect(stdout).toContain(REPLY);
      // Built as the README says, the calls match the declared versions and are observed.
      expect(stderr).not.toMatch(/differ|without any LLM call observed|internal error/);
    }
    const requests = standIn.requests.map((r) => r.body.model);
    expect(requests).toContain("gpt-4o-mini");
    // What the blocks say they show: the session's hash on the app's own span, a guard trip told apart.
    expect(results.map((r) => r.stdout).join("\n")).toMatch(/^[0-9a-f]{16}$/m);
    expect(results.map((r) => r.stderr).join("\n")).toContain("session ended by max_turns");
  });

  it("the root README's instrumentation step", async () => {
    const results = await runBlocks(await rootInstrumentStep());
    expect(results).toHaveLength(1);
    expect(results[0]!.stderr).not.toMatch(/differ|without any LLM call observed|internal error/);
  });
});
