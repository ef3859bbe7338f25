import { resolve } from "node:path";
import type { Command } from "commander";
import { formatProblem, GatesConfigError, loadGatesConfig, parseGatesConfig } from "../config/load.js";
import type { GatesConfig } from "../config/resolve.js";
import { generateDashboardFiles, generateRuleFiles, writeGeneratedFiles } from "../generate.js";

/** Exit codes: 0 done, 1 the config is invalid (nothing written), 2 the files could not be read or written. */
export const EXIT = { ok: 0, invalidConfig: 1, io: 2 } as const;

interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
}

const consoleIo: Io = { out: (l) => process.stdout.write(`${l}\n`), err: (l) => process.stderr.write(`${l}\n`) };

async function run(io: Io, body: () => Promise<void>): Promise<void> {
  try {
    await body();
    process.exitCode = EXIT.ok;
  } catch (error) {
    if (error instanceof GatesConfigError) {
      for (const p of error.problems) io.err(formatProblem(p));
      io.err("nothing was written; fix the config and run again");
      process.exitCode = EXIT.invalidConfig;
      return;
    }
    io.err(`error: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = EXIT.io;
  }
}

function summary(config: GatesConfig): string {
  const gates = config.gates.map((g) => `${g.name} (${g.kind}, ${g.comparison} ${g.threshold}, ${g.action}${g.passBeforePercent === undefined ? ", fail-only" : `, must pass before ${g.passBeforePercent}%`})`);
  return `deployments: ${config.deployments.join(", ")}; export: ${config.export}; lookback: ${config.lookback}; ${config.gates.length} gates: ${gates.join("; ")}`;
}

/** Adds `validate`, `rules` and `dashboards` to a commander program (the agent-canary bin). */
export function addGateRulesCommands(program: Command, io: Io = consoleIo): Command {
  program
    .command("validate")
    .description("check a gates config (YAML or JSON) and print the gates it resolves to")
    .argument("<config>", "path of gates.yaml")
    .addHelpText("after", "\nExamples:\n  $ agent-canary validate gates.yaml\n\nExit codes: 0 valid, 1 invalid (each problem with file:line: field), 2 unreadable.")
    .action((file: string) =>
      run(io, async () => {
        const config = await loadGatesConfig(file);
        io.out(`${file}: valid. ${summary(config)}`);
      }),
    );

  program
    .command("rules")
    .description("generate Prometheus recording and alert rules, Grafana alert rules and the Alertmanager config")
    .requiredOption("-c, --config <file>", "path of gates.yaml")
    .option("-o, --out <dir>", "output directory", "generated")
    .addHelpText(
      "after",
      "\nWrites <out>/prometheus/{recording,alert}-rules.yaml, <out>/grafana/alert-rules.yaml and <out>/alertmanager/alertmanager.yaml.\n" +
        "\nExamples:\n  $ agent-canary rules --config gates.yaml --out deploy/monitoring\n  $ promtool check rules deploy/monitoring/prometheus/*.yaml\n\nExit codes: 0 written, 1 invalid config (nothing written), 2 I/O error.",
    )
    .action((options: { config: string; out: string }) =>
      run(io, async () => {
        const config = await loadGatesConfig(options.config);
        const written = await writeGeneratedFiles(resolve(options.out), generateRuleFiles(config));
        for (const path of written) io.out(`wrote ${path}`);
      }),
    );

  program
    .command("dashboards")
    .description("generate the Grafana dashboard JSON (importable; pick the Prometheus data source on import)")
    .option("-o, --out <dir>", "output directory", "dashboards")
    .option("-c, --config <file>", "gates.yaml whose gates get panels (default: the recommended preset)")
    .addHelpText("after", "\nExamples:\n  $ agent-canary dashboards\n  $ agent-canary dashboards --config gates.yaml --out grafana/dashboards\n\nExit codes: 0 written, 1 invalid config, 2 I/O error.")
    .action((options: { out: string; config?: string }) =>
      run(io, async () => {
        const config = options.config ? await loadGatesConfig(options.config) : defaultDashboardConfig();
        const written = await writeGeneratedFiles(resolve(options.out), generateDashboardFiles(config));
        for (const path of written) io.out(`wrote ${path}`);
      }),
    );
  return program;
}

/** The config the committed dashboards/ are generated from: the recommended gates, exporter-prometheus names. */
export function defaultDashboardConfig(): GatesConfig {
  return parseGatesConfig("deployments: [agent]\n", "(built-in default)");
}
