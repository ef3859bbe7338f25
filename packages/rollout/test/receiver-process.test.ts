import { spawn } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileStore } from "@agent-canary/rollout-state";
import { waitFor } from "@agent-canary/testkit";
import { describe, expect, it } from "vitest";
import { TOKEN, amPayload, post, seedDeployment } from "./helpers.js";

const CLI = join(import.meta.dirname, "fixtures", "cli.mjs");

describe("agent-canary receiver process", () => {
  it("serves hooks with a token from a file and exits cleanly on SIGTERM", async () => {
    const dir = await mkdtemp(join(tmpdir(), "agent-canary-receiver-proc-"));
    const store = new FileStore({ dir: join(dir, "state") });
    await seedDeployment(store, "shop");
    const tokenFile = join(dir, "token");
    await writeFile(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
    const child = spawn(process.execPath, [CLI, "receiver", "--port", "0", "--store", `file:${join(dir, "state")}`, "--token-file", tokenFile, "--deployments", "shop"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let logs = "";
    child.stdout.on("data", (chunk: Buffer) => (logs += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (logs += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    try {
      const address = await waitFor(() => /"address":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(logs)?.[1], { what: `receiver address in logs: ${logs}` });
      const response = await post(`${address}/hooks/alertmanager`, JSON.stringify(amPayload([{ labels: { alertname: "CostGate", deployment: "shop", action: "rollback" }, fingerprint: "abc123" }])));
      expect(response.status).toBe(200);
      expect((await store.read("shop"))?.canaryPercent).toBe(0);
      // Structured logs carry deployment, alert name and fingerprint.
      expect(logs).toMatch(/"deployment":"shop","alertname":"CostGate","fingerprint":"abc123"/);
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited).toBe(0);
    expect(logs).toMatch(/shutting down: finishing in-flight requests/);
  });
});

describe("agent-canary receiver on a store that cannot work here", () => {
  it("refuses to start when the Redis client cannot be loaded, instead of serving 5xx for every alert", async () => {
    const dir = await mkdtemp(join(tmpdir(), "agent-canary-receiver-noredis-"));
    const tokenFile = join(dir, "token");
    await writeFile(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
    // As if ioredis were not installed next to @agent-canary/rollout-state (an optional peer there).
    const refuseIoredis = `import { registerHooks } from "node:module"; registerHooks({ resolve(specifier, context, next) { if (specifier === "ioredis") throw new Error("Cannot find package 'ioredis'"); return next(specifier, context); } });`;
    const child = spawn(process.execPath, ["--import", `data:text/javascript,${encodeURIComponent(refuseIoredis)}`, CLI, "receiver", "--port", "0", "--loopback", "--store", "redis://127.0.0.1:1", "--token-file", tokenFile], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let logs = "";
    child.stdout.on("data", (chunk: Buffer) => (logs += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (logs += chunk.toString()));
    let code: number | null | undefined;
    child.on("exit", (c) => (code = c));
    try {
      await waitFor(() => code !== undefined, { timeoutMs: 60_000, what: `the receiver to exit rather than serve without a usable store\n${logs}` });
    } finally {
      child.kill("SIGKILL");
    }
    expect(code).toBe(1);
    expect(logs).toMatch(/error: the store cannot be used: the Redis store needs the ioredis package/);
    expect(logs).not.toMatch(/receiver listening/);
  });
});
