import { EXIT_CODES } from "@agent-canary/conventions/cli";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { readFile } from "node:fs/promises";
import { parse, stringify } from "yaml";
import { startAlertmanager, waitFor, type AlertmanagerHandle } from "@agent-canary/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AlertmanagerMergeError,
  alertmanagerConfig,
  alertmanagerFragment,
  alertName,
  blindAlertName,
  GatesConfigError,
  generateRuleFiles,
  mergeAlertmanagerConfig,
  parseGatesConfig,
  RULE_FILES,
  toYaml,
  type AlertmanagerFragment,
  type GatesConfig,
} from "../src/index.js";
import { cli } from "./helpers/cli.js";
import { captureHooks } from "./helpers/hook-capture.js";
import { runTool, tempDir } from "./helpers/promtool.js";

/**
 * An Alertmanager config as a team already runs it: its own receivers, a
 * severity route, a catch-all default. The fragment is pasted the way the
 * README says: routes first in route.routes, receivers and inhibit rules appended.
 */
const EXISTING = {
  route: {
    receiver: "team-default",
    group_by: ["alertname"],
    routes: [{ receiver: "pager", matchers: ['severity="critical"'] }],
  },
  receivers: [
    { name: "team-default", webhook_configs: [{ url: "http://chat.internal/hook" }] },
    { name: "pager", webhook_configs: [{ url: "http://pager.internal/hook" }] },
    { name: "team-oncall", webhook_configs: [{ url: "http://oncall.internal/hook" }] },
  ],
  inhibit_rules: [{ source_matchers: ['severity="critical"'], target_matchers: ['severity="warning"'], equal: ["alertname"] }],
};

function paste(existing: typeof EXISTING, fragment: AlertmanagerFragment): unknown {
  return {
    ...existing,
    route: { ...existing.route, routes: [...fragment.routes, ...existing.route.routes] },
    receivers: [...existing.receivers, ...fragment.receivers],
    inhibit_rules: [...existing.inhibit_rules, ...fragment.inhibit_rules],
  };
}

const exec = promisify(execFile);

const GATES = "deployments: [support-agent, billing.bot]\nreceiver: {url: 'http://receiver.internal:9000/base/', credentialsFile: /run/secrets/token}\n";
const withOncall = parseGatesConfig(`${GATES}notifications: {receiver: team-oncall}\n`);
const withoutOncall = parseGatesConfig(GATES);

let dir: string;
beforeAll(async () => {
  dir = await tempDir("amtool-routes");
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function writeConfig(name: string, value: unknown): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, typeof value === "string" ? value : stringify(value, { lineWidth: 0 }));
  return file;
}

/** The receivers amtool says an alert with these labels reaches, in order (its stdout; stderr has warnings). */
async function routesOf(file: string, labels: Record<string, string>): Promise<string[]> {
  const { stdout } = await exec("amtool", ["config", "routes", "test", `--config.file=${file}`, ...Object.entries(labels).map(([k, v]) => `${k}=${v}`)]);
  return stdout.trim().split(",");
}

const gateAlert = (config: GatesConfig, name: string) => {
  const gate = config.gates.find((g) => g.name === name);
  if (!gate) throw new Error(`no gate ${name}`);
  return { alertname: alertName(gate), gate: gate.name, action: gate.action, severity: gate.severity };
};
const blindAlert = (config: GatesConfig, name: string) => {
  const gate = config.gates.find((g) => g.name === name);
  if (!gate) throw new Error(`no gate ${name}`);
  return { alertname: blindAlertName(gate), gate: gate.name, severity: "warning" };
};

describe("Alertmanager config: whole file, and the fragment pasted into an existing config", () => {
  it("both pass amtool check-config, with and without a notifications receiver", async () => {
    for (const [name, config] of [["with", withOncall], ["without", withoutOncall]] as const) {
      const whole = await writeConfig(`whole-${name}.yaml`, toYaml(alertmanagerConfig(config), "test"));
      const pasted = await writeConfig(`pasted-${name}.yaml`, paste(EXISTING, alertmanagerFragment(config)));
      for (const file of [whole, pasted]) {
        const result = await runTool("amtool", ["check-config", file]);
        expect(result.output).toContain("SUCCESS");
        expect(result.code).toBe(0);
      }
    }
  });

  it("routes any action=rollback alert of a managed deployment to the receiver, whatever its name, and people still hear of it", async () => {
    const file = await writeConfig("pasted-routes.yaml", paste(EXISTING, alertmanagerFragment(withOncall)));
    // A user's own rule: not named AgentCanary..., but it says rollback for a managed deployment.
    expect(await routesOf(file, { alertname: "SupportAgentRefundsSpiking", action: "rollback", deployment: "support-agent", severity: "critical" })).toEqual(["agent-canary-rollback", "pager"]);
    // continue: true passes it on to the existing routes; a route matched, so the root's default receiver is not used.
    expect(await routesOf(file, { alertname: "BillingHold", action: "hold", deployment: "billing.bot" })).toEqual(["agent-canary-hold"]);
    // A gate alert: the receiver acts, the notifications receiver hears of it.
    expect(await routesOf(file, { ...gateAlert(withOncall, "loops"), deployment: "support-agent" })).toEqual(["agent-canary-rollback", "team-oncall"]);
    // A blind gate has no action: nothing to act on, people must look.
    expect(await routesOf(file, { ...blindAlert(withOncall, "cost"), deployment: "billing.bot" })).toEqual(["team-oncall"]);
    // Not a managed deployment (and the dot is literal): the existing routing only.
    expect(await routesOf(file, { alertname: "X", action: "rollback", deployment: "other-agent", severity: "critical" })).toEqual(["pager"]);
    expect(await routesOf(file, { alertname: "X", action: "rollback", deployment: "billingXbot" })).toEqual(["team-default"]);
  });

  it("without a notifications receiver, gate warnings fall through to the existing routes instead of nowhere", async () => {
    const file = await writeConfig("pasted-no-oncall.yaml", paste(EXISTING, alertmanagerFragment(withoutOncall)));
    expect(await routesOf(file, { ...blindAlert(withoutOncall, "cost"), deployment: "support-agent" })).toEqual(["team-default"]);
    expect(await routesOf(file, { ...gateAlert(withoutOncall, "completion"), deployment: "support-agent" })).toEqual(["agent-canary-rollback", "pager"]);
  });

  it("the generated files are these configs as YAML", () => {
    const files = generateRuleFiles(withOncall);
    expect(parse(files.find((f) => f.path === RULE_FILES.alertmanager)?.content ?? "")).toEqual(alertmanagerConfig(withOncall));
    expect(parse(files.find((f) => f.path === RULE_FILES.alertmanagerFragment)?.content ?? "")).toEqual(alertmanagerFragment(withOncall));
  });

  it("a notifications receiver that is empty or one of agent-canary's own names is a config error naming the field", () => {
    for (const receiver of ["''", "agent-canary-rollback"]) {
      const error = (() => {
        try {
          parseGatesConfig(`deployments: [a]\nnotifications: {receiver: ${receiver}}\n`);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(error).toBeInstanceOf(GatesConfigError);
      expect((error as GatesConfigError).problems[0]).toMatchObject({ field: "notifications.receiver", line: 2 });
    }
  });
});

describe("merging into an existing alertmanager.yml (rules --alertmanager-base)", () => {
  const base = `# our Alertmanager: keep this comment\n${stringify(EXISTING, { lineWidth: 0 })}`;

  it("gives the pasted config, keeps the file's own comments, and merging again changes nothing", async () => {
    const merged = mergeAlertmanagerConfig(base, "alertmanager.yml", withOncall);
    expect(merged).toContain("# our Alertmanager: keep this comment");
    expect(parse(merged)).toEqual(paste(EXISTING, alertmanagerFragment(withOncall)));
    expect(mergeAlertmanagerConfig(merged, "alertmanager.yml", withOncall)).toBe(merged);
    // New deployments replace the earlier routes instead of adding a second set.
    const other = parseGatesConfig(`deployments: [other-agent]\nnotifications: {receiver: team-oncall}\n`);
    expect(parse(mergeAlertmanagerConfig(merged, "alertmanager.yml", other))).toEqual(paste(EXISTING, alertmanagerFragment(other)));
    const file = await writeConfig("merged.yaml", merged);
    expect((await runTool("amtool", ["check-config", file])).output).toContain("SUCCESS");
    expect(await routesOf(file, { ...gateAlert(withOncall, "loops"), deployment: "support-agent" })).toEqual(["agent-canary-rollback", "team-oncall"]);
  });

  it("refuses a file that is not an Alertmanager config, or lacks the notifications receiver, naming the field", () => {
    const failure = (text: string, config = withOncall) => {
      try {
        mergeAlertmanagerConfig(text, "am.yml", config);
      } catch (error) {
        return error as AlertmanagerMergeError;
      }
      throw new Error("merged");
    };
    expect(failure("receivers: []\n").message).toMatch(/^am\.yml: route: an Alertmanager config has a root `route`/);
    expect(failure("route: {}\nreceivers: []\n").message).toMatch(/^am\.yml: route\.receiver: the root route needs a receiver/);
    expect(failure(stringify({ ...EXISTING, receivers: [{ name: "team-default" }, { name: "pager" }] })).message).toMatch(/receivers: no receiver named "team-oncall" \(gates\.yaml notifications\.receiver\)/);
    expect(failure("route: [\n").message).toMatch(/^am\.yml: : not valid YAML/);
    // A field the schema gives no message of its own is worded as what to write, not in zod's types.
    expect(failure("route: {receiver: team-default}\nreceivers: [{email_configs: []}]\n").message).toBe(
      "am.yml: receivers.0.name: required: text; pass the alertmanager.yml your Alertmanager runs with",
    );
  });

  it("the CLI writes the merged file, and writes nothing when the base is refused", async () => {
    const gates = await writeConfig("gates-merge.yaml", `${GATES}notifications: {receiver: team-oncall}\n`);
    const baseFile = await writeConfig("base.yml", base);
    const out = join(dir, "merged-out");
    expect((await cli(["rules", "--config", gates, "--out", out, "--alertmanager-base", baseFile])).code).toBe(EXIT_CODES.ok);
    expect(await readFile(join(out, RULE_FILES.alertmanager), "utf8")).toBe(mergeAlertmanagerConfig(base, baseFile, withOncall));
    const refused = await cli(["rules", "--config", gates, "--out", join(dir, "refused-out"), "--alertmanager-base", await writeConfig("bad.yml", "receivers: []\n")]);
    expect(refused.code).toBe(EXIT_CODES.failed);
    expect(refused.err[0]).toContain("bad.yml: route:");
    await expect(readFile(join(dir, "refused-out", RULE_FILES.recording))).rejects.toThrow();
    const missing = await cli(["rules", "--config", gates, "--out", out, "--alertmanager-base", join(dir, "nope.yml")]);
    expect(missing.code).toBe(EXIT_CODES.failed);
    expect(missing.err[0]).toBe(`error: --alertmanager-base ${join(dir, "nope.yml")}: file not found`);
  });
});

describe("a real Alertmanager with the whole file", () => {
  let alertmanager: AlertmanagerHandle | undefined;
  let hooks: Awaited<ReturnType<typeof captureHooks>> | undefined;
  afterAll(async () => {
    await alertmanager?.stop();
    hooks?.server.close();
  });

  it("a rollback inhibits the holds of its own rollout only, and a user's rollback rule reaches the receiver", async () => {
    hooks = await captureHooks();
    const token = "t0ken-for-the-routing-test";
    const config = parseGatesConfig(`deployments: [support-agent]\nreceiver: {url: '${hooks.url}', credentialsFile: token}\n`);
    alertmanager = await startAlertmanager(toYaml(alertmanagerConfig(config), "test"), { token });
    const alert = (labels: Record<string, string>) => ({ labels: { deployment: "support-agent", ...labels } });
    const delivered = (name: string, rolloutId?: string) =>
      hooks?.deliveries.some((d) => d.alerts.some((a) => a.labels.alertname === name && a.labels.rollout_id === rolloutId));
    // The rollback first: an inhibition applies to notifications sent after Alertmanager knows the inhibiting alert.
    await alertmanager.postAlerts([alert({ alertname: "AgentCanaryLoopsGateFailed", gate: "loops", action: "rollback", rollout_id: "old" })]);
    await waitFor(() => delivered("AgentCanaryLoopsGateFailed", "old"), { timeoutMs: 60_000, what: "the rollback at the receiver" });
    await alertmanager.postAlerts([
      alert({ alertname: "AgentCanaryCostGateFailed", gate: "cost", action: "hold", rollout_id: "old" }),
      alert({ alertname: "AgentCanaryCostGateFailed", gate: "cost", action: "hold", rollout_id: "new" }),
      alert({ alertname: "SupportAgentRefundsSpiking", action: "rollback" }),
    ]);
    await waitFor(() => delivered("AgentCanaryCostGateFailed", "new") && delivered("SupportAgentRefundsSpiking"), {
      timeoutMs: 60_000,
      what: "the new rollout's hold and the user's rollback at the receiver",
    });
    // The old rollout's hold is inhibited by its rollback; Alertmanager says so and never delivered it.
    const response = await fetch(`${alertmanager.url}/api/v2/alerts`);
    const alerts = (await response.json()) as { labels: Record<string, string>; status: { state: string; inhibitedBy: string[] } }[];
    const hold = (rolloutId: string) => alerts.find((a) => a.labels.action === "hold" && a.labels.rollout_id === rolloutId);
    expect(hold("old")?.status).toMatchObject({ state: "suppressed" });
    expect(hold("old")?.status.inhibitedBy).toHaveLength(1);
    expect(hold("new")?.status).toMatchObject({ state: "active", inhibitedBy: [] });
    expect(delivered("AgentCanaryCostGateFailed", "old")).toBe(false);
    expect(new Set(hooks.deliveries.map((d) => d.authorization))).toEqual(new Set([`Bearer ${token}`]));
  });
});
