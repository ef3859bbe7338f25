import { EXIT_CODES } from "@agent-canary/conventions/cli";
import { execFile } from "node:child_process";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { parse, stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  alertingRules,
  alertmanagerConfigResource,
  DASHBOARD_CONFIGMAP_FILE,
  DashboardConfigMapOptionsSchema,
  generateDashboardConfigMapFiles,
  generateKubernetesFiles,
  KUBERNETES_FILES,
  KubernetesRulesOptionsSchema,
  loadGatesConfig,
  parseGatesConfig,
  prometheusRule,
  recordingRules,
  staleFiles,
  type AlertmanagerConfigResource,
  type ConfigMapResource,
  type PrometheusRuleResource,
} from "../src/index.js";
import { validateResource } from "./helpers/kubernetes-schemas.js";
import { cli } from "./helpers/cli.js";
import { runTool, tempDir } from "./helpers/promtool.js";

const exec = promisify(execFile);
const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

const config = parseGatesConfig(
  "deployments: [support-agent, billing.bot]\nreceiver: {url: 'http://agent-canary-receiver.agent-canary.svc:8080'}\nnotifications: {receiver: team-oncall}\nshadow: {}\n",
);
const options = KubernetesRulesOptionsSchema.parse({});

let dir: string;
beforeAll(async () => {
  dir = await tempDir("kubernetes");
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** What the Prometheus Operator does with an AlertmanagerConfig (namespace matcher strategy OnNamespace): its route goes first under the root, with continue and a namespace matcher; its names get the namespace/name/ prefix. */
function asTheOperatorMerges(resource: AlertmanagerConfigResource, secretValue: string, existing: Record<string, unknown> & { route: { routes?: unknown[] }; receivers: unknown[] }) {
  const { namespace, name } = resource.metadata;
  const prefix = (receiver: string) => `${namespace}/${name}/${receiver}`;
  const text = (ms: { name: string; value: string; matchType: string }[] = []) => ms.map((m) => `${m.name}${m.matchType}${JSON.stringify(m.value)}`);
  const own = `namespace="${namespace}"`;
  type Route = AlertmanagerConfigResource["spec"]["route"];
  const route = (r: Route): Record<string, unknown> => ({
    receiver: prefix(r.receiver),
    matchers: text(r.matchers),
    group_by: r.groupBy,
    group_wait: r.groupWait,
    group_interval: r.groupInterval,
    repeat_interval: r.repeatInterval,
    ...(r.routes ? { routes: r.routes.map(route) } : {}),
  });
  const top = { ...route(resource.spec.route), matchers: [...text(resource.spec.route.matchers), own], continue: true };
  return {
    ...existing,
    route: { ...existing.route, routes: [top, ...(existing.route.routes ?? [])] },
    receivers: [
      ...existing.receivers,
      ...resource.spec.receivers.map((r) => ({
        name: prefix(r.name),
        ...(r.webhookConfigs
          ? {
              webhook_configs: r.webhookConfigs.map((w) => ({
                url: w.url,
                send_resolved: w.sendResolved,
                max_alerts: w.maxAlerts,
                http_config: { authorization: { type: w.httpConfig.authorization.type, credentials: secretValue } },
              })),
            }
          : {}),
      })),
    ],
    inhibit_rules: resource.spec.inhibitRules.map((rule) => ({ source_matchers: [...text(rule.sourceMatch), own], target_matchers: [...text(rule.targetMatch), own], equal: rule.equal })),
  };
}

describe("PrometheusRule", () => {
  const resource = prometheusRule(config, options);

  it("passes the published schema and carries the labels the Prometheus CR selects", () => {
    validateResource(resource);
    expect(resource.metadata).toMatchObject({ name: "agent-canary-gates", namespace: "monitoring", labels: { release: "kube-prometheus-stack" } });
  });

  it("holds exactly the rule files' groups, with every alert labelled with the AlertmanagerConfig's namespace", async () => {
    const alerts = alertingRules(config).groups;
    expect(resource.spec.groups.map((g) => g.name)).toEqual([...recordingRules(config).groups, ...alerts].map((g) => g.name));
    const alertRules = resource.spec.groups.flatMap((g) => g.rules).filter((r) => "alert" in r);
    expect(alertRules).toHaveLength(alerts.flatMap((g) => g.rules).length);
    for (const rule of alertRules) expect(rule.labels).toMatchObject({ namespace: "monitoring" });
    const file = join(dir, "prometheus-rule-spec.yaml");
    await writeFile(file, stringify(resource.spec, { lineWidth: 0 }));
    const result = await runTool("promtool", ["check", "rules", file]);
    expect(result.output).not.toContain("FAILED");
    expect(result.code).toBe(0);
  });

  it("leaves the namespace label off when asked (matcher strategy None)", () => {
    const plain = prometheusRule(config, KubernetesRulesOptionsSchema.parse({ namespaceLabel: false }));
    expect(plain.spec.groups.flatMap((g) => g.rules).some((r) => r.labels && "namespace" in r.labels)).toBe(false);
  });
});

describe("AlertmanagerConfig", () => {
  const resource = alertmanagerConfigResource(config, options);

  it("passes the published schema; its webhooks read the token from the Secret", () => {
    validateResource(resource);
    const hooks = resource.spec.receivers.flatMap((r) => r.webhookConfigs ?? []);
    expect(hooks).toHaveLength(2);
    for (const hook of hooks) {
      expect(hook.url).toBe("http://agent-canary-receiver.agent-canary.svc:8080/hooks/alertmanager");
      expect(hook.httpConfig.authorization.credentials).toEqual({ name: "agent-canary-receiver-token", key: "token" });
    }
  });

  it("merged as the operator merges it, the config passes amtool and routes the gate alerts of its namespace", async () => {
    const existing = { route: { receiver: "team-default", routes: [{ receiver: "pager", matchers: ['severity="critical"'] }] }, receivers: [{ name: "team-default" }, { name: "pager" }] };
    const file = join(dir, "operator-merged.yaml");
    await writeFile(file, stringify(asTheOperatorMerges(resource, "s3cret-token-value", existing), { lineWidth: 0 }));
    const check = await runTool("amtool", ["check-config", file]);
    expect(check.output).toContain("SUCCESS");
    const routes = async (labels: Record<string, string>) =>
      (await exec("amtool", ["config", "routes", "test", `--config.file=${file}`, ...Object.entries(labels).map(([k, v]) => `${k}=${v}`)])).stdout.trim().split(",");
    const loops = alertingRules(config).groups[0]?.rules.find((r) => r.labels.gate === "loops");
    const labels = { ...loops?.labels, alertname: loops?.alert ?? "", deployment: "billing.bot" };
    // The PrometheusRule labels the alert with the namespace; the operator's matcher then lets it in.
    expect(await routes(prometheusRuleLabels(labels))).toEqual(["monitoring/agent-canary-receiver/agent-canary-rollback", "pager"]);
    // The same alert without the namespace label never reaches the receiver: why the label is there.
    expect(await routes(labels)).toEqual(["pager"]);
  });
});

/** The labels an alert of the PrometheusRule carries (its rule labels include namespace). */
function prometheusRuleLabels(labels: Record<string, string>): Record<string, string> {
  return { ...labels, namespace: options.namespace };
}

describe("dashboard ConfigMap", () => {
  it("passes the schema, has the sidecar's label and holds the dashboard JSON", () => {
    const file = generateDashboardConfigMapFiles(config, DashboardConfigMapOptionsSchema.parse({ namespace: "grafana", labels: { team: "ml" } }))[0];
    const configMap = parse(file?.content ?? "") as ConfigMapResource;
    validateResource(configMap);
    expect(configMap.metadata).toMatchObject({ namespace: "grafana", labels: { grafana_dashboard: "1", team: "ml" } });
    const dashboard = JSON.parse(configMap.data["agent-canary-gates.json"] ?? "") as { uid: string };
    expect(dashboard.uid).toBe("agent-canary-gates");
  });
});


describe("CLI", () => {
  it("rules --format kubernetes writes both resources with the flags' namespace and labels, and warns about a loopback receiver URL", async () => {
    const gates = join(dir, "gates.yaml");
    await writeFile(gates, "deployments: [support-agent]\n");
    const out = join(dir, "k8s");
    const result = await cli(["rules", "--config", gates, "--out", out, "--format", "kubernetes", "--namespace", "obs", "--label", "release=prom", "--label", "team=ml"]);
    expect(result.code).toBe(EXIT_CODES.ok);
    expect(result.err.join("\n")).toContain("loopback");
    const rule = parse(await readFile(join(out, KUBERNETES_FILES.prometheusRule), "utf8")) as PrometheusRuleResource;
    const am = parse(await readFile(join(out, KUBERNETES_FILES.alertmanagerConfig), "utf8")) as AlertmanagerConfigResource;
    for (const resource of [rule, am]) {
      validateResource(resource);
      expect(resource.metadata).toMatchObject({ namespace: "obs", labels: { release: "prom", team: "ml" } });
    }
  });

  it("a bad namespace, label or stray flag fails with the flag named and writes nothing", async () => {
    const gates = join(dir, "gates.yaml");
    await writeFile(gates, "deployments: [support-agent]\n");
    const cases: [string[], RegExp][] = [
      [["--format", "kubernetes", "--namespace", "Monitoring"], /^error: --namespace Monitoring: a namespace is lower-case/],
      [["--format", "kubernetes", "--label", "release"], /--label release: write key=value/],
      [["--format", "kubernetes", "--label", "release=not ok"], /--label release=not ok: a label value/],
      [["--namespace", "monitoring"], /--namespace applies only with --format kubernetes/],
    ];
    for (const [flags, message] of cases) {
      const out = join(dir, "refused");
      const result = await cli(["rules", "--config", gates, "--out", out, ...flags]);
      expect(result.code, flags.join(" ")).toBe(EXIT_CODES.usage);
      expect(result.err[0]).toMatch(message);
      await expect(readFile(join(out, KUBERNETES_FILES.prometheusRule))).rejects.toThrow();
    }
    const dashboards = await cli(["dashboards", "--out", join(dir, "refused"), "--format", "configmap", "--sidecar-label", "grafana_dashboard"]);
    expect(dashboards.code).toBe(EXIT_CODES.usage);
    expect(dashboards.err[0]).toMatch(/--sidecar-label grafana_dashboard: write key=value/);
  });

  it("dashboards --format configmap writes the ConfigMap with the chosen sidecar label", async () => {
    const out = join(dir, "dashboards");
    expect((await cli(["dashboards", "--out", out, "--format", "configmap", "--sidecar-label", "grafana_dashboard=agent-canary"])).code).toBe(EXIT_CODES.ok);
    const configMap = parse(await readFile(join(out, DASHBOARD_CONFIGMAP_FILE), "utf8")) as ConfigMapResource;
    validateResource(configMap);
    expect(configMap.metadata.labels.grafana_dashboard).toBe("agent-canary");
  });
});

describe("committed Kubernetes examples", () => {
  it("examples/generated/kubernetes matches examples/gates.yaml", async () => {
    const gates = await loadGatesConfig(here("../examples/gates.yaml"));
    const files = [...generateKubernetesFiles(gates, options), ...generateDashboardConfigMapFiles(gates, DashboardConfigMapOptionsSchema.parse({}))];
    const out = "--out packages/gate-rules/examples/generated/kubernetes";
    expect(
      await staleFiles(here("../examples/generated/kubernetes"), files),
      `run \`agent-canary rules --config packages/gate-rules/examples/gates.yaml ${out} --format kubernetes\` and \`agent-canary dashboards --config packages/gate-rules/examples/gates.yaml ${out} --format configmap\``,
    ).toEqual([]);
  });
});
