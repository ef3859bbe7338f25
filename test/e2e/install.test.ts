import { spawn } from "node:child_process";
import { cp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { versionHash, type VersionSpec } from "@agent-canary/conventions";
import { startModelServer, type ModelServer } from "@agent-canary/example-support-agent";
import { findBinary, freePort, makeTempDir, startRedis, waitFor } from "@agent-canary/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { startLocalRegistry, type LocalRegistry } from "./install/local-registry.js";
import { readmeGatesYaml, readmeInstallCommands } from "./install/readme.js";
import { explain, run, runLine, userEnv, type RunResult } from "./install/user-shell.js";

/**
 * What a stranger does: install the packed packages with npm into a fresh
 * project outside the workspace, as the README says, and use them from there.
 * The @agent-canary scope comes from a local registry serving the tarballs of
 * scripts/pack.sh; every other package from npm's registry (through npm's cache).
 * Spawns built dist/ code: build first.
 */
const REPO = fileURLToPath(new URL("../..", import.meta.url));
const FIXTURES = fileURLToPath(new URL("./install/fixtures", import.meta.url));
const DEPLOYMENT = "support-agent";
const BASELINE: VersionSpec = { model: "gpt-4o-mini", systemPrompt: "You are a support agent. Use the tools." };
const CANARY: VersionSpec = { model: "gpt-4.1-mini", systemPrompt: "You are a concise support agent." };
const TOKEN = "install-test-token-0123456789";
/** One scenario is enough here (test/e2e/demo.test.ts runs them all): the README's command plus these arguments. */
const DEMO_ARGS = "--scenario healthy --json";

let root = "";
let app = "";
let env: NodeJS.ProcessEnv = {};
let registry: LocalRegistry | undefined;
let model: ModelServer | undefined;
let packedNames: string[] = [];

const inApp = (line: string, extra: Record<string, string> = {}): Promise<RunResult> => runLine(line, { cwd: app, env: { ...env, ...extra } });
async function expectOk(line: string, extra: Record<string, string> = {}): Promise<RunResult> {
  const result = await inApp(line, extra);
  expect(result.code, explain(line, result)).toBe(0);
  return result;
}

beforeAll(async () => {
  root = await makeTempDir("install");
  await forgetEarlierNpxInstalls();
  expect(relative(REPO, root).startsWith(".."), "the project must be outside the workspace").toBe(true);
  const packed = await run("bash", [join(REPO, "scripts/pack.sh"), "--no-build", join(root, "packs")], { cwd: REPO, env: process.env });
  expect(packed.code, explain("scripts/pack.sh", packed)).toBe(0);
  const tarballs = packed.stdout.trim().split("\n");
  registry = await startLocalRegistry(tarballs);
  packedNames = [...registry.names];
  model = await startModelServer({ seed: 3 });
  app = join(root, "my-agent");
  await cp(FIXTURES, app, { recursive: true });
  await writeFile(join(app, "package.json"), `${JSON.stringify({ name: "my-agent", version: "1.0.0", private: true }, null, 2)}\n`);
  await writeFile(join(app, "baseline.json"), JSON.stringify(BASELINE));
  await writeFile(join(app, "canary.json"), JSON.stringify(CANARY));
  await writeFile(join(root, "npmrc"), `@agent-canary:registry=${registry.url}\n`);
  const globalPrefix = join(root, "global");
  env = userEnv({
    npm_config_userconfig: join(root, "npmrc"),
    npm_config_prefix: globalPrefix,
    npm_config_prefer_offline: "true",
    npm_config_yes: "true",
    npm_config_audit: "false",
    npm_config_fund: "false",
    npm_config_update_notifier: "false",
    PATH: `${join(globalPrefix, "bin")}:${process.env.PATH ?? ""}`,
  });
}, 300_000);

afterAll(async () => {
  await registry?.close();
  await model?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

describe("e2e: installed from npm outside the workspace", () => {
  it("installs with the README's npm commands, and the CLI pulls in neither the demo nor its servers", async () => {
    const commands = readmeInstallCommands();
    expect(commands).toEqual(expect.arrayContaining(["npm i @agent-canary/instrumentation", "npm i -g @agent-canary/cli", "npx @agent-canary/demo"]));
    for (const line of commands.filter((c) => !c.startsWith("npx @agent-canary/demo"))) await expectOk(line);
    const installed = await readdir(join(app, "node_modules", "@agent-canary"));
    expect(installed).toContain("instrumentation");
    expect(installed).toContain("cli");
    for (const name of ["demo", "testkit", "example-support-agent"]) expect(installed).not.toContain(name);
    // The libraries, and what the fixtures need: the agent's SDK and Node's types.
    const libraries = packedNames.filter((name) => !["@agent-canary/demo", "@agent-canary/example-support-agent"].includes(name));
    await expectOk(`npm i ${libraries.join(" ")} openai @types/node@22`);
  });

  it("imports every package as ESM", async () => {
    const names = packedNames.filter((name) => !["@agent-canary/demo", "@agent-canary/example-support-agent"].includes(name));
    const result = await expectOk(`node imports.mjs ${names.join(" ")}`);
    const exports = z.record(z.string(), z.array(z.string())).parse(JSON.parse(result.stdout));
    expect(exports["@agent-canary/instrumentation"]).toEqual(expect.arrayContaining(["register", "session", "AgentCanary"]));
    expect(exports["@agent-canary/gate-rules"]).toEqual(expect.arrayContaining(["GatesConfigInputSchema"]));
    expect(exports["@agent-canary/rollout"]).toEqual(expect.arrayContaining(["createReceiver"]));
    expect(exports["@agent-canary/rollout-state"]).toEqual(expect.arrayContaining(["FileStore", "RedisStore"]));
    expect(exports["@agent-canary/conventions"]).toEqual(expect.arrayContaining(["versionHash", "DeploymentNameSchema"]));
    expect(exports["@agent-canary/cli"]).toEqual(expect.arrayContaining(["buildProgram"]));
    expect(exports["@agent-canary/testkit"]).toEqual(expect.arrayContaining(["startPrometheus"]));
    expect(exports["@agent-canary/shadow"]?.length).toBeGreaterThan(0);
  });

  it("type-checks ESM (.mts) and CommonJS (.cts) TypeScript consumers against the installed types", async () => {
    await expectOk(`${join(REPO, "node_modules", ".bin", "tsc")} -p tsconfig.json`);
  });

  it("validates the README's gates.yaml and writes rules promtool accepts, and dashboards", async () => {
    await writeFile(join(app, "gates.yaml"), readmeGatesYaml());
    await expectOk("npx agent-canary validate gates.yaml");
    await expectOk("agent-canary rules --config gates.yaml --out monitoring");
    await expectOk("npx @agent-canary/cli dashboards --config gates.yaml --out dashboards");
    const rules = (await readdir(join(app, "monitoring", "prometheus"))).map((f) => join("monitoring", "prometheus", f));
    expect(rules.length).toBeGreaterThan(0);
    await expectOk(`${findBinary("AGENT_CANARY_PROMTOOL_BIN", ["promtool"])} check rules ${rules.join(" ")}`);
    const dashboards = await readdir(join(app, "dashboards"));
    const dashboard = z.object({ panels: z.array(z.unknown()).min(1) }).loose().parse(JSON.parse(await readFile(join(app, "dashboards", dashboards[0] ?? "none"), "utf8")));
    expect(dashboard.panels.length).toBeGreaterThan(0);
  });

  it("routes an agent by the rollout the CLI started; the receiver rolls it back on an Alertmanager webhook; the CommonJS agent then runs baseline only", async () => {
    const store = `file:${join(app, "rollout-state")}`;
    await expectOk(`agent-canary rollout start --deployment ${DEPLOYMENT} --store ${store} --baseline baseline.json --canary canary.json --plan low`);
    await expectOk(`agent-canary rollout set --deployment ${DEPLOYMENT} --store ${store} --percent 50`);
    const agentEnv = { MODEL_BASE_URL: model!.baseURL, STATE_STORE: store, SESSIONS: "40", SESSION_PREFIX: "esm" };
    const before = AgentReportSchema.parse(JSON.parse((await expectOk("node agent.mjs", agentEnv)).stdout.trim().split("\n").at(-1)!));
    expect(before.groups.canary).toBeGreaterThan(0);
    expect(before.groups.baseline).toBeGreaterThan(0);
    // One series per stratum (rollout, canary percent, assignment): the canary's completed sessions are their sum.
    const canaryLines = before.sessions.filter((l) => l.includes(`version_group="canary"`) && l.includes(`version_hash="${versionHash(CANARY)}"`) && l.includes('outcome="completed"'));
    expect(canaryLines.length).toBeGreaterThan(0);
    expect(canaryLines.reduce((sum, l) => sum + Number(l.split(" ").at(-1)), 0)).toBe(before.groups.canary);
    expect(before.tokens.length).toBeGreaterThan(0);

    await writeFile(join(app, "token"), `${TOKEN}\n`, { mode: 0o600 });
    const port = await freePort();
    const receiver = await startReceiver(`agent-canary receiver --port ${port} --store ${store} --token-file token`, port);
    try {
      const status = JSON.parse((await expectOk(`agent-canary rollout status --deployment ${DEPLOYMENT} --store ${store} --json`)).stdout) as [{ state: { rolloutId: string } }];
      const reply = await fetch(`http://127.0.0.1:${port}/hooks/alertmanager`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify(rollbackWebhook(status[0].state.rolloutId)),
      });
      const body = await reply.text();
      expect(reply.status, body).toBe(200);
      expect(body).toContain('"changed"');
    } finally {
      receiver.kill("SIGTERM");
    }
    expect(await receiver.exited, "the receiver exits cleanly on SIGTERM").toBe(0);
    const after = JSON.parse((await expectOk(`agent-canary rollout status --deployment ${DEPLOYMENT} --store ${store} --json`)).stdout) as [{ state: { canaryPercent: number; phase: string } }];
    expect(after[0].state).toMatchObject({ canaryPercent: 0, phase: "rolled_back" });

    const preloaded = await expectOk("node --require @agent-canary/instrumentation/register agent-preloaded.cjs", {
      ...agentEnv,
      SESSIONS: "20",
      SESSION_PREFIX: "cjs",
      AGENT_CANARY_DEPLOYMENT: DEPLOYMENT,
      AGENT_CANARY_BASELINE: "@baseline.json",
      AGENT_CANARY_CANARY: "@canary.json",
      AGENT_CANARY_STORE: store,
      AGENT_CANARY_METRICS_PORT: "0",
      AGENT_CANARY_METRICS_HOST: "127.0.0.1",
      AGENT_CANARY_TRACES_EXPORTER: "none",
    });
    const cjs = AgentReportSchema.parse(JSON.parse(preloaded.stdout.trim().split("\n").at(-1)!));
    expect(cjs.groups).toEqual({ baseline: 20, canary: 0 });
  });

  it("runs the receiver on Redis, the store for many replicas, with nothing installed beyond the README's npm commands", async () => {
    // ioredis is an optional peer of the libraries; the CLI must bring it, or the receiver never gets ready.
    const redis = await startRedis();
    try {
      await writeFile(join(app, "token"), `${TOKEN}\n`, { mode: 0o600 });
      const port = await freePort();
      const store = `redis://127.0.0.1:${redis.port}`;
      await expectOk(`agent-canary rollout start --deployment ${DEPLOYMENT} --store ${store} --baseline baseline.json --canary canary.json --plan low`);
      const receiver = await startReceiver(`agent-canary receiver --port ${port} --store ${store} --token-file token`, port);
      try {
        await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200, { timeoutMs: 60_000, what: "the installed receiver to be ready on Redis" });
        const status = JSON.parse((await expectOk(`agent-canary rollout status --deployment ${DEPLOYMENT} --store ${store} --json`)).stdout) as [{ state: { rolloutId: string } }];
        const reply = await fetch(`http://127.0.0.1:${port}/hooks/alertmanager`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
          body: JSON.stringify(rollbackWebhook(status[0].state.rolloutId)),
        });
        expect(reply.status, await reply.text()).toBe(200);
      } finally {
        receiver.kill("SIGTERM");
      }
      expect(await receiver.exited, "the receiver exits cleanly on SIGTERM").toBe(0);
      const after = JSON.parse((await expectOk(`agent-canary rollout status --deployment ${DEPLOYMENT} --store ${store} --json`)).stdout) as [{ state: { canaryPercent: number; phase: string } }];
      expect(after[0].state).toMatchObject({ canaryPercent: 0, phase: "rolled_back" });
    } finally {
      await redis.stop();
    }
  });

  it("says which package to install for the demo, and the README's npx command runs it", async () => {
    const missing = await inApp("agent-canary demo");
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("@agent-canary/demo");
    const line = readmeInstallCommands().find((c) => c.startsWith("npx @agent-canary/demo"));
    const demo = await expectOk(`${line} ${DEMO_ARGS}`);
    const summary = z.object({ ok: z.boolean(), scenarios: z.array(z.object({ scenario: z.string(), outcome: z.string() }).loose()) }).parse(JSON.parse(demo.stdout));
    expect(summary.ok).toBe(true);
    expect(summary.scenarios).toMatchObject([{ scenario: "healthy", outcome: "promoted" }]);
  });
});

/**
 * npx reuses a package it installed before when the version matches, and the
 * packed version does not change between builds: an earlier run's demo would
 * run instead of this one. A stranger's machine has none, so neither may we.
 */
async function forgetEarlierNpxInstalls(): Promise<void> {
  const cache = (await run("npm", ["config", "get", "cache"], { cwd: REPO, env: userEnv({}) })).stdout.trim();
  const npxDir = join(cache, "_npx");
  const entries = await readdir(npxDir).catch(() => []);
  for (const entry of entries) {
    const manifest = await readFile(join(npxDir, entry, "package.json"), "utf8").catch(() => "{}");
    if (manifest.includes('"@agent-canary/')) await rm(join(npxDir, entry), { recursive: true, force: true });
  }
}

const AgentReportSchema = z.object({
  groups: z.object({ baseline: z.number(), canary: z.number() }),
  sessions: z.array(z.string()),
  tokens: z.array(z.string()),
});

/** Alertmanager's webhook (payload version 4) for one firing rollback alert about this rollout. */
function rollbackWebhook(rolloutId: string) {
  const labels = { alertname: "AgentCanaryCostRegression", deployment: DEPLOYMENT, rollout_id: rolloutId, gate: "cost", action: "rollback", severity: "critical" };
  return {
    version: "4",
    groupKey: `{}:{deployment="${DEPLOYMENT}"}`,
    truncatedAlerts: 0,
    status: "firing",
    receiver: "agent-canary",
    groupLabels: { deployment: DEPLOYMENT },
    commonLabels: labels,
    commonAnnotations: {},
    externalURL: "http://alertmanager:9093",
    alerts: [{ status: "firing", labels, annotations: {}, startsAt: new Date().toISOString(), endsAt: "0001-01-01T00:00:00Z", generatorURL: "", fingerprint: "0123456789abcdef" }],
  };
}

/** Starts the installed receiver and waits until it answers /healthz (or fails if it exits first). */
async function startReceiver(line: string, port: number) {
  const child = spawn("bash", ["-c", `exec ${line}`], { cwd: app, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const healthy = waitFor(async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok, { timeoutMs: 60_000, what: "the installed receiver to answer /healthz" });
  const died = exited.then((code) => Promise.reject(new Error(`the receiver exited with ${code} before answering`)));
  try {
    await Promise.race([healthy, died]);
  } catch (error) {
    child.kill("SIGKILL");
    throw new Error(`${(error as Error).message}\n${output}`);
  }
  died.catch(() => undefined); // it exits at the end of the test, on purpose
  return { kill: (signal: NodeJS.Signals) => child.kill(signal), exited };
}
