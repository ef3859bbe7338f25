import { Option, type Command } from "commander";
import type { CliContext } from "./io.js";
import { runAction } from "./run-action.js";
import { example, storeOption } from "./transition-command.js";

export interface ControllerFlags {
  store: string;
  prometheusUrl: string;
  gates: string;
  deployments?: string;
  interval: string;
  export: "prometheus" | "otlp";
  archiveDir?: string;
}

/**
 * `rollout controller`: the long-running controller for Kubernetes (a
 * Deployment next to the receiver). It drives every rollout it finds in
 * progress and never starts one; it stops cleanly on SIGTERM after the pass in
 * flight, and a restart carries on from the store.
 */
export function addControllerCommand(rollout: Command, ctx: CliContext): void {
  rollout
    .command("controller")
    .description("run until SIGTERM, driving every rollout in progress in the store on gate verdicts from Prometheus (never starts one)")
    .requiredOption("--prometheus-url <url>", "the Prometheus that evaluates the generated rules")
    .requiredOption("--gates <file>", "the gates config the rules were generated from")
    .option("--deployments <a,b>", "only these deployments (default: every deployment in the store)")
    .option("--interval <seconds>", "seconds between passes", "30")
    .addOption(new Option("--export <mode>", "how the agents' metrics reach Prometheus (decides metric names)").choices(["prometheus", "otlp"]).default("prometheus"))
    .option("--archive-dir <dir>", "where deployment records are written when rollouts end")
    .addOption(storeOption(ctx))
    .addHelpText("after", example(["agent-canary rollout controller --store redis://redis:6379 --prometheus-url http://prometheus:9090 --gates /etc/agent-canary/gates.yaml"]))
    .action(async (flags: ControllerFlags, cmd: Command) => runAction(cmd, async () => (await import("./controller-action.js")).runController(ctx, flags)));
}
