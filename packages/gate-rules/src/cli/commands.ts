import { resolve } from "node:path";
import { readFile } from "node:fs/promises";
import { Option, type Command } from "commander";
import { AlertmanagerMergeError, mergeAlertmanagerConfig } from "../alertmanager/merge.js";
import { CliError, cliIo, emit, exitCodesHelp, runCommand, usageError, type CliIo } from "@agent-canary/conventions/cli";
import { GatesConfigError, parseGatesConfig } from "../config/load.js";
import type { GatesConfig } from "../config/resolve.js";
import { generateDashboardFiles, generateRuleFiles, RULE_FILES, writeGeneratedFiles, type GeneratedFile } from "../generate.js";
import { generateDashboardConfigMapFiles, generateKubernetesFiles } from "../kubernetes/files.js";
import { OutputOptionError } from "../kubernetes/metadata.js";
import { readGatesConfigFlag, reportingConfigProblems } from "./load-config.js";
import { dashboardConfigMapOptionsFromFlags, kubernetesRulesOptionsFromFlags, rulesNotes, type DashboardFlags, type RulesFlags } from "./kubernetes-flags.js";

/** Options and config problems are reported by the shared CLI module: these are the package's own user errors. */
async function run(command: Command, body: () => Promise<void>): Promise<void> {
  await runCommand(command, () =>
    reportingConfigProblems(async () => {
      try {
        await body();
      } catch (error) {
        // A flag that cannot work with the others, or a label the API server would refuse: fix the command line.
        if (error instanceof OutputOptionError) throw usageError(`${error.message}; nothing was written`);
        if (error instanceof AlertmanagerMergeError) throw new CliError(`${error.message}; nothing was written`);
        throw error;
      }
    }),
  );
}

/** A valid config as `validate --json` prints it: what each gate resolved to. */
function validJson(file: string, config: GatesConfig): Record<string, unknown> {
  return {
    file,
    valid: true,
    deployments: config.deployments,
    export: config.export,
    lookback: config.lookback,
    gates: config.gates.map((g) => ({ name: g.name, kind: g.kind, comparison: g.comparison, threshold: g.threshold, action: g.action, passBeforePercent: g.passBeforePercent ?? null })),
  };
}

function summary(config: GatesConfig): string {
  const gates = config.gates.map((g) => `${g.name} (${g.kind}, ${g.comparison} ${g.threshold}, ${g.action}${g.passBeforePercent === undefined ? ", fail-only" : `, must pass before ${g.passBeforePercent}%`})`);
  return `deployments: ${config.deployments.join(", ")}; export: ${config.export}; lookback: ${config.lookback}; ${config.gates.length} gates: ${gates.join("; ")}`;
}

/** Adds `validate`, `rules` and `dashboards` to a commander program (the agent-canary bin). */
export function addGateRulesCommands(program: Command, overrides: Partial<CliIo> = {}): Command {
  const io = cliIo(overrides);
  program
    .command("validate")
    .description("check a gates config (YAML or JSON) and print the gates it resolves to")
    .argument("<config>", "path of gates.yaml")
    .option("--json", "print the result as JSON: the resolved gates, or { valid: false, problems } (exit 1)")
    .addHelpText("after", `\nExamples:\n  $ agent-canary validate gates.yaml\n  $ agent-canary validate gates.yaml --json\n\n${exitCodesHelp(["ok", "failed", "usage"])}\n  (1: each problem with file:line: field)`)
    .action((file: string, flags: { json?: boolean }, command: Command) =>
      run(command, async () => {
        try {
          const config = await readGatesConfigFlag("", file);
          emit(io, flags.json, validJson(file, config), () => [`${file}: valid. ${summary(config)}`]);
        } catch (error) {
          // Scripts asking for JSON get the problems as data too, on stdout; the exit code still says invalid.
          if (flags.json && error instanceof GatesConfigError) emit(io, true, { file, valid: false, problems: error.problems }, () => []);
          throw error;
        }
      }),
    );

  program
    .command("rules")
    .description("generate Prometheus recording and alert rules, Grafana alert rules and the Alertmanager config (or Kubernetes resources)")
    .requiredOption("-c, --config <file>", "path of gates.yaml")
    .option("-o, --out <dir>", "output directory", "generated")
    .addOption(new Option("--format <format>", "files: rule files and Alertmanager config; kubernetes: PrometheusRule and AlertmanagerConfig (Prometheus Operator)").choices(["files", "kubernetes"]).default("files"))
    .option("--namespace <name>", "kubernetes: namespace of the resources and of the alerts' namespace label (default monitoring)")
    .option("--label <key=value>", "kubernetes: a label the Prometheus/Alertmanager CRs select by; repeat for more (default release=kube-prometheus-stack)", collect, [])
    .option("--name <prefix>", "kubernetes: resource name prefix (default agent-canary)")
    .option("--token-secret <name>", "kubernetes: Secret holding the receiver's bearer token, in --namespace (default agent-canary-receiver-token)")
    .option("--token-secret-key <key>", "kubernetes: key of the token in that Secret (default token)")
    .option("--no-namespace-label", "kubernetes: do not label alerts namespace=<namespace> (only when the Alertmanager CR's alertmanagerConfigMatcherStrategy is None)")
    .option("--alertmanager-base <file>", "files: write alertmanager/alertmanager.yaml as this existing alertmanager.yml with agent-canary's routes, receivers and inhibit rule merged in")
    .option("--json", "print { written: [paths], notes: [warnings] } as JSON instead of lines")
    .addHelpText(
      "after",
      "\nWrites <out>/prometheus/{recording,alert}-rules.yaml, <out>/grafana/alert-rules.yaml, <out>/alertmanager/alertmanager.yaml (a whole config)\n" +
        "and <out>/alertmanager/fragment.yaml (to paste into an existing config); with --format kubernetes,\n" +
        "<out>/prometheus-rule.yaml and <out>/alertmanager-config.yaml (apply with kubectl apply -f <out>).\n" +
        "\nExamples:\n  $ agent-canary rules --config gates.yaml --out deploy/monitoring\n  $ promtool check rules deploy/monitoring/prometheus/*.yaml\n" +
        "  $ agent-canary rules --config gates.yaml --out monitoring --alertmanager-base /etc/alertmanager/alertmanager.yml\n" +
        "  $ agent-canary rules --config gates.yaml --out k8s --format kubernetes --namespace monitoring --label release=kube-prometheus-stack\n" +
        `\n${exitCodesHelp(["ok", "failed", "usage"])}`,
    )
    .action((options: RulesFlags & { config: string; out: string; alertmanagerBase?: string; json?: boolean }, command: Command) =>
      run(command, async () => {
        const kubernetes = kubernetesRulesOptionsFromFlags(options);
        if (kubernetes && options.alertmanagerBase) throw new OutputOptionError("--alertmanager-base applies only with --format files (kubernetes writes an AlertmanagerConfig); drop one of them");
        const config = await readGatesConfigFlag("--config", options.config);
        const files: GeneratedFile[] = kubernetes ? generateKubernetesFiles(config, kubernetes) : await ruleFilesWithBase(config, options.alertmanagerBase);
        const written = await writeGeneratedFiles(resolve(options.out), files);
        const notes = rulesNotes(config, kubernetes !== undefined);
        emit(io, options.json, { written, notes }, () => written.map((path) => `wrote ${path}`));
        for (const note of notes) io.stderr.write(`${note}\n`);
      }),
    );

  program
    .command("dashboards")
    .description("generate the Grafana dashboard JSON (importable; pick the Prometheus data source on import), or a ConfigMap for Grafana's sidecar")
    .option("-o, --out <dir>", "output directory", "dashboards")
    .option("-c, --config <file>", "gates.yaml whose gates get panels (default: the recommended preset)")
    .addOption(new Option("--format <format>", "json: dashboard files; configmap: one ConfigMap for Grafana's dashboard sidecar (kube-prometheus-stack)").choices(["json", "configmap"]).default("json"))
    .option("--namespace <name>", "configmap: namespace of the ConfigMap (default monitoring)")
    .option("--label <key=value>", "configmap: an extra label; repeat for more", collect, [])
    .option("--sidecar-label <key=value>", "configmap: the label Grafana's sidecar looks for (default grafana_dashboard=1)")
    .option("--name <name>", "configmap: ConfigMap name (default agent-canary-dashboards)")
    .option("--json", "print { written: [paths] } as JSON instead of lines")
    .addHelpText(
      "after",
      "\nExamples:\n  $ agent-canary dashboards\n  $ agent-canary dashboards --config gates.yaml --out grafana/dashboards\n" +
        "  $ agent-canary dashboards --config gates.yaml --out k8s --format configmap --namespace monitoring\n" +
        `\n${exitCodesHelp(["ok", "failed", "usage"])}`,
    )
    .action((options: DashboardFlags & { out: string; config?: string; json?: boolean }, command: Command) =>
      run(command, async () => {
        const configMap = dashboardConfigMapOptionsFromFlags(options);
        const config = options.config ? await readGatesConfigFlag("--config", options.config) : defaultDashboardConfig();
        const files = configMap ? generateDashboardConfigMapFiles(config, configMap) : generateDashboardFiles(config);
        const written = await writeGeneratedFiles(resolve(options.out), files);
        emit(io, options.json, { written }, () => written.map((path) => `wrote ${path}`));
      }),
    );
  return program;
}

/** The rule files; with a base, the Alertmanager file is that config with agent-canary's parts merged in. */
async function ruleFilesWithBase(config: GatesConfig, base: string | undefined): Promise<GeneratedFile[]> {
  const files = generateRuleFiles(config);
  if (!base) return files;
  let text: string;
  try {
    text = await readFile(base, "utf8");
  } catch (error) {
    throw new CliError(`--alertmanager-base ${base}: ${(error as NodeJS.ErrnoException).code === "ENOENT" ? "file not found" : String(error)}`);
  }
  const merged = mergeAlertmanagerConfig(text, base, config);
  return files.map((f) => (f.path === RULE_FILES.alertmanager ? { ...f, content: merged } : f));
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** The config the committed dashboards/ are generated from: the recommended gates, exporter-prometheus names. */
export function defaultDashboardConfig(): GatesConfig {
  return parseGatesConfig("deployments: [agent]\n", "(built-in default)");
}
