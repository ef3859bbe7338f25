import { mkdtemp, readdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { addRolloutCommands, auditLines } from "@agent-canary/rollout";
import { FileStore } from "@agent-canary/rollout-state";
import { freePort } from "@agent-canary/testkit";
import { amPayload, post, startReceiver } from "./helpers.js";
import { versionHash } from "@agent-canary/conventions";
import { Command, CommanderError } from "commander";
import { beforeEach, describe, expect, it } from "vitest";

let dir: string;
let storeSpec: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "agent-canary-cli-"));
  storeSpec = `file:${join(dir, "state")}`;
});

/** Runs the CLI in-process; returns what it printed, or the error it exited with. */
async function cli(...args: string[]): Promise<{ out: string; error?: string; exitCode?: number }> {
  let out = "";
  let err = "";
  const program = new Command("agent-canary").exitOverride().configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (err += s) });
  addRolloutCommands(program, { stdout: { write: (s: string) => (out += s) }, env: {}, user: "tester" });
  try {
    await program.parseAsync(args, { from: "user" });
    return { out };
  } catch (error) {
    if (error instanceof CommanderError) return { out, error: `${err}${error.message}`, exitCode: error.exitCode };
    throw error;
  }
}

describe("agent-canary rollout CLI", () => {
  it("starts, shows, sets, pauses, resumes, rolls back and audits every change as cli:<user>", async () => {
    const started = await cli("rollout", "start", "--deployment", "shop", "--baseline", "00000000000000aa", "--canary", "00000000000000bb", "--plan", "low", "--store", storeSpec);
    expect(started.out).toMatch(/changed \(revision 0\)/);
    expect(started.out).toMatch(/canary 1% \(stage 1 of 3\)/);
    expect((await cli("rollout", "set", "--deployment", "shop", "--percent", "10", "--store", storeSpec)).out).toMatch(/canary 10%/);
    expect((await cli("rollout", "pause", "--deployment", "shop", "--store", storeSpec)).out).toMatch(/phase paused/);
    expect((await cli("rollout", "resume", "--deployment", "shop", "--store", storeSpec)).out).toMatch(/phase progressing/);
    expect((await cli("rollout", "rollback", "--deployment", "shop", "--reason", "cost up 3x", "--store", storeSpec)).out).toMatch(/phase rolled_back +canary 0%/);
    expect((await cli("rollout", "rollback", "--deployment", "shop", "--store", storeSpec)).out).toMatch(/unchanged: already rolled back/);
    const status = await cli("rollout", "status", "--deployment", "shop", "--audit", "2", "--store", storeSpec);
    expect(status.out).toMatch(/r4 .* rollback 10%→0% by cli:tester: cost up 3x/);
    const json = JSON.parse((await cli("rollout", "status", "--json", "--store", storeSpec)).out) as { state: { revision: number } }[];
    expect(json.map((e) => e.state.revision)).toEqual([4]);
  });

  it("status tells alerts that changed nothing (duplicate, resolved, other rollout) from transitions", async () => {
    await cli("rollout", "start", "--deployment", "shop", "--baseline", "00000000000000aa", "--canary", "00000000000000bb", "--plan", "low", "--store", storeSpec);
    await cli("rollout", "set", "--deployment", "shop", "--percent", "10", "--store", storeSpec);
    const store = new FileStore({ dir: join(dir, "state") });
    const { receiver, url } = await startReceiver(store);
    try {
      const rolloutId = (await store.read("shop"))?.rolloutId ?? "";
      const rollback = { alertname: "CostGate", deployment: "shop", action: "rollback", rollout_id: rolloutId };
      for (const alerts of [
        [{ labels: rollback, fingerprint: "aa01" }],
        [{ labels: rollback, fingerprint: "aa01" }],
        [{ labels: rollback, fingerprint: "aa01", status: "resolved" as const }],
        [{ labels: { ...rollback, rollout_id: "an-earlier-rollout" }, fingerprint: "bb02" }],
        [{ labels: { alertname: "RefundsGate", deployment: "shop", capability: "refunds" }, fingerprint: "cc03" }],
        [{ labels: { alertname: "RefundsGate", deployment: "shop", capability: "refunds" }, fingerprint: "cc03" }],
      ]) {
        expect((await post(`${url}/hooks/alertmanager`, JSON.stringify(amPayload(alerts)))).status).toBe(200);
      }
    } finally {
      await receiver.close();
    }
    const lines = (await cli("rollout", "status", "--deployment", "shop", "--audit", "6", "--store", storeSpec)).out.split("\n").filter((l) => /^ {4}r\d/.test(l));
    expect(lines).toHaveLength(6);
    expect(lines[0]).toMatch(/r2 \S+ rollback 10%→0% by alertmanager:aa01: CostGate firing/);
    expect(lines[1]).toMatch(/r2 \S+ rollback alert duplicate, nothing changed \(canary 0%\) by alertmanager:aa01/);
    expect(lines[2]).toMatch(/r2 \S+ rollback alert resolved, nothing changed \(canary 0%\) by alertmanager:aa01/);
    expect(lines[3]).toMatch(/r2 \S+ rollback alert other rollout, nothing changed \(canary 0%\) by alertmanager:bb02/);
    expect(lines[4]).toMatch(/r3 \S+ capability refunds off at 0% by alertmanager:cc03/);
    expect(lines[5]).toMatch(/r3 \S+ capability refunds alert duplicate, nothing changed \(off at 0%\) by alertmanager:cc03/);
    // The start has no percent before it.
    const all = (await cli("rollout", "status", "--deployment", "shop", "--audit", "20", "--store", storeSpec)).out;
    expect(all).toMatch(/r0 \S+ start →1% by cli:tester/);
  });

  it("status compacts a run of repeated alerts into one line and says what a hold changed", async () => {
    await cli("rollout", "start", "--deployment", "shop", "--baseline", "00000000000000aa", "--canary", "00000000000000bb", "--plan", "low", "--store", storeSpec);
    await cli("rollout", "pause", "--deployment", "shop", "--reason", "latency", "--store", storeSpec);
    const store = new FileStore({ dir: join(dir, "state") });
    const { receiver, url } = await startReceiver(store);
    try {
      const rolloutId = (await store.read("shop"))?.rolloutId ?? "";
      const hold = { alertname: "LatencyGate", deployment: "shop", action: "hold", rollout_id: rolloutId };
      // Alertmanager re-sends a firing alert every repeat interval: 288 a day at 5 minutes.
      for (let i = 0; i < 4; i++) expect((await post(`${url}/hooks/alertmanager`, JSON.stringify(amPayload([{ labels: hold, fingerprint: "dd04" }])))).status).toBe(200);
    } finally {
      await receiver.close();
    }
    const lines = (await cli("rollout", "status", "--deployment", "shop", "--audit", "20", "--store", storeSpec)).out.split("\n").filter((l) => /^ {4}r\d/.test(l));
    expect(lines).toHaveLength(3);
    expect(lines[1]).toMatch(/r1 \S+ pause progressing→paused at 1% by cli:tester: latency/);
    expect(lines[2]).toMatch(/r1 \S+ hold alert duplicate, nothing changed \(canary 1%\) by alertmanager:dd04: .* \(×4, until \S+\)$/);
  });

  it("status shows the controller's outlook as an estimate, not as an alert", () => {
    const entry = {
      at: "2026-01-01T00:10:00.000Z",
      by: "controller",
      action: "outlook" as const,
      outcome: "unchanged" as const,
      fromPhase: "progressing" as const,
      toPhase: "progressing" as const,
      fromPercent: 5,
      toPercent: 5,
      reason: "gate loops cannot decide at this traffic within 7.0 days: needs ~65840 more canary sessions",
      deployment: "shop",
      fromRevision: 3,
      toRevision: 3,
    };
    expect(auditLines([entry])).toEqual(["r3 2026-01-01T00:10:00.000Z outlook at 5% by controller: gate loops cannot decide at this traffic within 7.0 days: needs ~65840 more canary sessions"]);
  });

  it("lists, sets, disables and re-enables a capability, each change audited with its name and percent", async () => {
    await cli("rollout", "start", "--deployment", "shop", "--baseline", "00000000000000aa", "--canary", "00000000000000bb", "--plan", "low", "--store", storeSpec);
    expect((await cli("rollout", "capability", "list", "--deployment", "shop", "--store", storeSpec)).out).toMatch(/shop: no capabilities; add one with/);
    expect((await cli("rollout", "capability", "set", "--deployment", "shop", "--name", "refunds", "--percent", "10", "--reason", "refund tool to 10%", "--store", storeSpec)).out).toMatch(/capabilities refunds=10%/);
    expect((await cli("rollout", "capability", "disable", "--deployment", "shop", "--name", "refunds", "--reason", "refunds loop", "--store", storeSpec)).out).toMatch(/capabilities refunds=off \(10% when on\)/);
    expect((await cli("rollout", "capability", "disable", "--deployment", "shop", "--name", "refunds", "--store", storeSpec)).out).toMatch(/unchanged: capability refunds is already off at 10%/);
    expect((await cli("rollout", "capability", "enable", "--deployment", "shop", "--name", "refunds", "--percent", "5", "--reason", "fixed in v43", "--store", storeSpec)).out).toMatch(/capabilities refunds=5%/);
    expect((await cli("rollout", "capability", "list", "--deployment", "shop", "--store", storeSpec)).out).toBe("shop refunds on at 5% (fixed in v43)\n");
    expect((await cli("rollout", "capability", "set", "--deployment", "shop", "--name", "refunds", "--percent", "150", "--store", storeSpec)).error).toMatch(/--percent 150: give a number from 0 to 100/);
    expect((await cli("rollout", "capability", "set", "--deployment", "shop", "--name", "__proto__", "--percent", "5", "--store", storeSpec)).error).toMatch(/capability "__proto__": a capability name cannot be __proto__/);
    const lines = (await cli("rollout", "status", "--deployment", "shop", "--audit", "3", "--store", storeSpec)).out.split("\n").filter((l) => /^ {4}r\d/.test(l));
    expect(lines).toEqual([
      expect.stringMatching(/r1 \S+ capability refunds on at 10% by cli:tester: refund tool to 10%/),
      expect.stringMatching(/r2 \S+ capability refunds off at 10% \(was on at 10%\) by cli:tester: refunds loop/),
      expect.stringMatching(/r3 \S+ capability refunds on at 5% \(was off at 10%\) by cli:tester: fixed in v43/),
    ]);
    const json = JSON.parse((await cli("rollout", "capability", "list", "--json", "--store", storeSpec)).out) as Record<string, Record<string, { percent: number; enabled: boolean }>>;
    expect(json).toEqual({ shop: { refunds: { percent: 5, enabled: true, reason: "fixed in v43" } } });
  });

  it("takes a version spec file for --canary and promotes with an archived record", async () => {
    const specFile = join(dir, "v2.yaml");
    await writeFile(specFile, "model: gpt-4o-mini\nsystemPrompt: You are helpful.\nlabel: v2\n");
    await cli("rollout", "start", "--deployment", "shop", "--baseline", "00000000000000aa", "--canary", specFile, "--store", storeSpec);
    const store = new FileStore({ dir: join(dir, "state") });
    // The spec travels with the hash, so the deployment record can say what changed.
    expect((await store.read("shop"))?.canary).toMatchObject({ hash: versionHash({ model: "gpt-4o-mini", systemPrompt: "You are helpful." }), label: "v2", spec: { model: "gpt-4o-mini", systemPrompt: "You are helpful." } });
    const promoted = await cli("rollout", "promote", "--deployment", "shop", "--store", storeSpec);
    expect(promoted.out).toMatch(/phase promoted/);
    expect(await readdir(join(dir, "state", "records"))).toHaveLength(1);
  });

  it("takes the plan from a gates.yaml's rollout section", async () => {
    const gatesFile = join(dir, "gates.yaml");
    await writeFile(gatesFile, "deployments: [shop]\nrollout:\n  stages:\n    - { percent: 2, minDurationSeconds: 60, minSessionsPerArm: 10 }\n    - { percent: 100, minDurationSeconds: 60, minSessionsPerArm: 10 }\n");
    const started = await cli("rollout", "start", "--deployment", "shop", "--baseline", "00000000000000aa", "--canary", "00000000000000bb", "--plan", gatesFile, "--store", storeSpec);
    expect(started.out).toMatch(/canary 2% \(stage 1 of 2\)/);
  });

  it("names the flag and the fix on bad input, and changes nothing", async () => {
    await cli("rollout", "start", "--deployment", "shop", "--baseline", "00000000000000aa", "--canary", "00000000000000bb", "--store", storeSpec);
    const badPercent = await cli("rollout", "set", "--deployment", "shop", "--percent", "150", "--store", storeSpec);
    expect(badPercent).toMatchObject({ exitCode: 2, error: expect.stringContaining("--percent 150: give a number from 0 to 100") });
    const missing = await cli("rollout", "set", "--deployment", "shop", "--store", storeSpec);
    expect(missing.error).toMatch(/required option '--percent <0-100>' not specified/);
    const badStore = await cli("rollout", "status", "--store", "postgres://x");
    // A malformed --store is a command-line mistake like any other: exit 2, nothing opened.
    expect(badStore).toMatchObject({ exitCode: 2, error: expect.stringMatching(/neither file:<dir> nor redis:\/\/host:port/) });
    const badPlan = await cli("rollout", "start", "--deployment", "other", "--baseline", "00000000000000aa", "--canary", "00000000000000bb", "--plan", "fast", "--store", storeSpec);
    expect(badPlan.error).toMatch(/--plan fast: neither a tier \(low, medium, high, critical\)/);
    const planFile = join(dir, "plan.yaml");
    await writeFile(planFile, "stages:\n  - percent: 5\n    minDurationSeconds: 60\n    minSessionsPerArm: 10\n  - percent: 250\n    minDurationSeconds: 60\n    minSessionsPerArm: 10\n");
    const badPlanFile = await cli("rollout", "start", "--deployment", "other", "--baseline", "00000000000000aa", "--canary", "00000000000000bb", "--plan", planFile, "--store", storeSpec);
    expect(badPlanFile.error).toMatch(/plan\.yaml:5: field "stages\.1\.percent"/);
    const badVersion = await cli("rollout", "start", "--deployment", "other", "--baseline", "v1", "--canary", "00000000000000bb", "--store", storeSpec);
    expect(badVersion.error).toMatch(/--baseline v1: neither a 16-hex version hash nor an existing version spec file/);
    const unknown = await cli("rollout", "rollback", "--deployment", "ghost", "--store", storeSpec);
    expect(unknown.error).toMatch(/no rollout state; create it with `agent-canary rollout start --deployment ghost/);
    const store = new FileStore({ dir: join(dir, "state") });
    expect(await store.list()).toEqual(["shop"]);
    expect((await store.read("shop"))?.revision).toBe(0);
  });

  it("checks every start flag before writing: a bad --prometheus-url or --interval leaves no state behind", async () => {
    const base = ["rollout", "start", "--deployment", "shop", "--baseline", "00000000000000aa", "--canary", "00000000000000bb", "--store", storeSpec];
    expect((await cli(...base, "--prometheus-url", "notaurl")).error).toMatch(/--prometheus-url notaurl: not a URL; e\.g\. --prometheus-url http:\/\/127\.0\.0\.1:9090/);
    expect((await cli(...base, "--prometheus-url", "http://127.0.0.1:9", "--interval", "0")).error).toMatch(/--interval 0: give a whole number of 1 or more/);
    expect(await new FileStore({ dir: join(dir, "state") }).list()).toEqual([]);
  });

  it("refuses to drive without the gates config, before writing anything", async () => {
    const base = ["rollout", "start", "--deployment", "shop", "--baseline", "00000000000000aa", "--canary", "00000000000000bb", "--store", storeSpec];
    expect((await cli(...base, "--prometheus-url", "http://127.0.0.1:9")).error).toMatch(/--prometheus-url needs the gates config .*: add --gates gates\.yaml/);
    expect(await new FileStore({ dir: join(dir, "state") }).list()).toEqual([]);
  });

  it("accepts an undecided gate for the rollout in progress, audited, and forgets it at the next start", async () => {
    const startArgs = ["rollout", "start", "--deployment", "shop", "--baseline", "00000000000000aa", "--canary", "00000000000000bb", "--plan", "low", "--store", storeSpec];
    expect((await cli("rollout", "accept", "--deployment", "shop", "--gate", "loops", "--store", storeSpec)).error).toMatch(/no rollout state/);
    await cli(...startArgs);
    const accepted = await cli("rollout", "accept", "--deployment", "shop", "--gate", "loops", "--reason", "3 weeks of traffic to decide", "--store", storeSpec);
    expect(accepted.out).toMatch(/changed \(revision 1\)/);
    expect((await cli("rollout", "accept", "--deployment", "shop", "--gate", "loops", "--store", storeSpec)).out).toMatch(/unchanged: gate loops is already accepted/);
    expect((await cli("rollout", "accept", "--deployment", "shop", "--gate", "Loops!", "--store", storeSpec)).error).toMatch(/gate "Loops!": use lower-case letters, digits and '_'/);
    const store = new FileStore({ dir: join(dir, "state") });
    expect((await store.read("shop"))?.acceptedGates).toMatchObject({ loops: { by: "cli:tester", reason: "3 weeks of traffic to decide" } });
    expect((await store.auditLog("shop")).at(-1)).toMatchObject({ action: "accept", by: "cli:tester", reason: "3 weeks of traffic to decide" });
    await cli("rollout", "rollback", "--deployment", "shop", "--store", storeSpec);
    expect((await cli("rollout", "accept", "--deployment", "shop", "--gate", "loops", "--store", storeSpec)).error).toMatch(/no rollout in progress \(phase rolled_back\)/);
    await cli("rollout", "start", "--deployment", "shop", "--canary", "00000000000000cc", "--plan", "low", "--store", storeSpec);
    expect((await store.read("shop"))?.acceptedGates).toEqual({});
  });

  it("names --deployment when the name is not a valid deployment name", async () => {
    const bad = await cli("rollout", "start", "--deployment", "../etc", "--baseline", "00000000000000aa", "--canary", "00000000000000bb", "--store", storeSpec);
    expect(bad.error).toMatch(/--deployment \.\.\/etc: use 1-63 chars .* e\.g\. --deployment support-bot/);
    expect((await cli("rollout", "pause", "--deployment", "Bad Name", "--store", storeSpec)).error).toMatch(/--deployment Bad Name: use 1-63 chars/);
    expect((await cli("rollout", "status", "--deployment", "Bad Name", "--store", storeSpec)).error).toMatch(/--deployment Bad Name: use 1-63 chars/);
  });

  it("names --store and the fix when Redis cannot be reached", async () => {
    const port = await freePort();
    const result = await cli("rollout", "status", "--deployment", "shop", "--store", `redis://127.0.0.1:${port}`);
    expect(result.error).toMatch(new RegExp(`--store redis://127\\.0\\.0\\.1:${port}: cannot reach the store .*check the address and that Redis is running`));
  });

  it("says how to repair a corrupt state file instead of pointing at a command that cannot write it", async () => {
    await cli("rollout", "start", "--deployment", "shop", "--baseline", "00000000000000aa", "--canary", "00000000000000bb", "--store", storeSpec);
    await writeFile(join(dir, "state", "shop.json"), '{"schemaVersion":1,');
    const result = await cli("rollout", "rollback", "--deployment", "shop", "--store", storeSpec);
    expect(result.error).toMatch(/shop\.json: not valid JSON .*move the file aside and run `agent-canary rollout start --baseline/);
    expect(result.error).not.toMatch(/rollout set/);
  });

  it("has --help with an example on every command", async () => {
    for (const args of [["receiver"], ["rollout"], ...["start", "status", "set", "pause", "resume", "rollback", "promote"].map((c) => ["rollout", c])]) {
      const help = await cli(...args, "--help");
      expect(help.out, args.join(" ")).toMatch(/Example:\n\s+\$ agent-canary /);
    }
  });

  it("describes the flags rollout start and the controller share in the same words, and the controller requires Prometheus and the gates", async () => {
    /** Each option's help text, unwrapped: commander indents the two commands' columns differently. */
    const optionsOf = async (command: string): Promise<Map<string, string>> => {
      const help = (await cli("rollout", command, "--help")).out.split("\nExample:")[0]?.split("Options:\n")[1] ?? "";
      const entries = help.split(/\n(?=  -)/).map((entry) => /^\s*(--[a-z-]+)[^\s]*(?: <[^>]+>)?\s+([\s\S]*)$/.exec(entry));
      return new Map(entries.filter((m) => m !== null).map((m) => [m[1] ?? "", (m[2] ?? "").replace(/\s+/g, " ").trim()]));
    };
    const [start, controller] = [await optionsOf("start"), await optionsOf("controller")];
    for (const flag of ["--prometheus-url", "--gates", "--interval", "--export", "--archive-dir"]) {
      expect(start.get(flag), flag).toMatch(/\w/);
      expect(controller.get(flag), flag).toBe(start.get(flag));
    }
    expect((await cli("rollout", "controller", "--gates", "gates.yaml", "--store", storeSpec)).error).toMatch(/required option '--prometheus-url <url>' not specified/);
    expect((await cli("rollout", "controller", "--prometheus-url", "http://127.0.0.1:9", "--store", storeSpec)).error).toMatch(/required option '--gates <file>' not specified/);
  });

  it("refuses to run the receiver without credentials and says which flags give them", async () => {
    const result = await cli("receiver", "--store", storeSpec);
    expect(result.error).toMatch(/auth: no credentials configured: give a bearer token \(--token-file \/ --token-env\)/);
    const emptyToken = join(dir, "token");
    await writeFile(emptyToken, "\n");
    expect((await cli("receiver", "--token-file", emptyToken)).error).toMatch(/--token-file .*: the file is empty/);
    expect((await cli("receiver", "--token-env", "NO_SUCH_VAR")).error).toMatch(/--token-env NO_SUCH_VAR: environment variable NO_SUCH_VAR is not set/);
    const config = join(dir, "receiver.yaml");
    await writeFile(config, "port: eighty\nauth:\n  bearerTokens: [0123456789abcdef0123]\n");
    expect((await cli("receiver", "--config", config)).error).toMatch(/receiver\.yaml:1: field "port": must be a number, not the text "eighty"; the file holds receiver settings/);
    await writeFile(config, "auth:\n  basic: { user: ops }\n");
    expect((await cli("receiver", "--config", config)).error).toMatch(/receiver\.yaml:2: field "auth\.basic": must be a list \(\[a, b\], or one "- item" per line\), not a mapping;/);
    await writeFile(config, "prot: 8081\nauth:\n  bearerTokens: [0123456789abcdef0123]\n");
    expect((await cli("receiver", "--config", config)).error).toMatch(/receiver\.yaml:1: field "prot": not a setting here \(a typo\?\); the file holds receiver settings: host, port/);
    await writeFile(config, "port: [unclosed\n");
    expect((await cli("receiver", "--config", config)).error).toMatch(/receiver\.yaml: not valid YAML or JSON/);
    const tokenFile = join(dir, "token-ok");
    await writeFile(tokenFile, "0123456789abcdef0123\n");
    expect((await cli("receiver", "--token-file", tokenFile, "--stale-alert-skew", "-5")).error).toMatch(/--stale-alert-skew -5: give a whole number of 0 or more/);
    // A value the flags set that the settings refuse is a command-line mistake (exit 2); the
    // same value from the --config file is a bad file (exit 1).
    expect(await cli("receiver", "--token-file", tokenFile, "--stale-alert-skew", "7200")).toMatchObject({ exitCode: 2, error: expect.stringMatching(/staleAlertSkewSeconds: a skew allowance over an hour/) });
    expect(await cli("receiver", "--token-file", tokenFile, "--port", "99999")).toMatchObject({ exitCode: 2, error: expect.stringMatching(/port: must be at most 65535/) });
    await writeFile(config, "staleAlertSkewSeconds: 7200\n");
    expect(await cli("receiver", "--token-file", tokenFile, "--config", config)).toMatchObject({ exitCode: 1, error: expect.stringMatching(/receiver\.yaml:1: field "staleAlertSkewSeconds": a skew allowance over an hour/) });
    // A log level pino does not know used to fail inside the logger ("default level:bogus must be included in custom levels").
    expect((await cli("receiver", "--token-file", tokenFile, "--log-level", "bogus")).error).toMatch(/'--log-level <level>' argument 'bogus' is invalid\. Allowed choices are trace, debug, info, warn, error, fatal, silent/);
  });
});
