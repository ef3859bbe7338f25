import type { Command } from "commander";
import { addDrivingOptions, type DrivingFlags } from "./driving-options.js";
import type { CliContext } from "./io.js";
import { runAction } from "./run-action.js";
import { example, storeOption } from "./transition-command.js";

export interface ControllerFlags extends DrivingFlags {
  store: string;
  /** Mandatory options: commander refuses the command without them. */
  prometheusUrl: string;
  gates: string;
  deployments?: string;
}

/**
 * `rollout controller`: the long-running controller for Kubernetes (a
 * Deployment next to the receiver). It drives every rollout it finds in
 * progress and never starts one; it stops cleanly on SIGTERM after the pass in
 * flight, and a restart carries on from the store.
 */
export function addControllerCommand(rollout: Command, ctx: CliContext): void {
  const command = rollout
    .command("controller")
    .description("run until SIGTERM, driving every rollout in progress in the store on gate verdicts from Prometheus (never starts one)")
    .option("--deployments <a,b>", "only these deployments (default: every deployment in the store)");
  addDrivingOptions(command, true)
    .addOption(storeOption(ctx))
    .addHelpText("after", example(["agent-canary rollout controller --store redis://redis:6379 --prometheus-url http://prometheus:9090 --gates /etc/agent-canary/gates.yaml"]))
    .action(async (flags: ControllerFlags, cmd: Command) => runAction(cmd, async () => (await import("./controller-action.js")).runController(ctx, flags)));
}
