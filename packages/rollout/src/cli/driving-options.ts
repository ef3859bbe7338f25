import { Option, type Command } from "commander";

/** The flags of a command that drives rollouts on gate verdicts (rollout start with --prometheus-url, rollout controller). */
export interface DrivingFlags {
  prometheusUrl?: string;
  gates?: string;
  interval: string;
  export: "prometheus" | "otlp";
  archiveDir?: string;
}

/** Where a rollout's ending is archived; promote and rollback write the same record. */
export function archiveDirOption(): Option {
  return new Option("--archive-dir <dir>", "where deployment records are written when rollouts end (default: records/ in a file store's directory, else ./rollout-records)");
}

/**
 * Adds the five flags `rollout start` and `rollout controller` share, with one wording.
 * The controller cannot run without Prometheus and the gates; `rollout start` drives
 * only when given --prometheus-url (and takes the gates from --plan when that is the file).
 */
export function addDrivingOptions(command: Command, required: boolean): Command {
  const prometheus = new Option("--prometheus-url <url>", "the Prometheus that evaluates the generated rules (gate verdicts, ALERTS and session counts are read from it)");
  const gates = new Option("--gates <file>", "the gates config the rules were generated from");
  if (required) {
    prometheus.makeOptionMandatory();
    gates.makeOptionMandatory();
  }
  return command
    .addOption(prometheus)
    .addOption(gates)
    .addOption(new Option("--interval <seconds>", "seconds between gate evaluations").default("30"))
    .addOption(new Option("--export <mode>", "how the agents' metrics reach Prometheus (decides metric names)").choices(["prometheus", "otlp"]).default("prometheus"))
    .addOption(archiveDirOption());
}
