import { readGatesConfigFlag, reportingConfigProblems } from "@agent-canary/gate-rules";
import { ControllerFleet } from "../controller/fleet.js";
import { PrometheusGateSource } from "../controller/prometheus-gate-source.js";
import { defaultRecordsDir } from "../records/index.js";
import type { ControllerFlags } from "./controller-command.js";
import { parseDeployment, parseHttpUrl, parsePositiveInt } from "./inputs.js";
import type { CliContext } from "./io.js";
import { withStore } from "./run-action.js";

/**
 * What `rollout controller` runs, loaded only when it runs (the gate source
 * brings the rule generator). Every flag is checked before anything runs; it
 * stops cleanly on SIGTERM after the pass in flight.
 */
export async function runController(ctx: CliContext, flags: ControllerFlags): Promise<void> {
  const url = parseHttpUrl("--prometheus-url", flags.prometheusUrl);
  const intervalMs = parsePositiveInt("--interval", flags.interval, 1) * 1000;
  const deployments = (flags.deployments ?? "").split(",").map((d) => d.trim()).filter(Boolean).map((d) => parseDeployment("--deployments", d));
  const config = await reportingConfigProblems(() => readGatesConfigFlag("--gates", flags.gates));
  await withStore(flags.store, async (store) => {
    const fleet = new ControllerFleet({
      store,
      deployments,
      gates: new PrometheusGateSource({ url, config, exportMode: flags.export }),
      intervalMs,
      archiveDir: flags.archiveDir ?? defaultRecordsDir(store),
      by: "controller",
      outlook: { config },
    });
    const abort = new AbortController();
    const stop = () => abort.abort();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    ctx.stdout.write(`controller: driving ${deployments.length ? deployments.join(", ") : "every deployment"} in ${flags.store} every ${intervalMs / 1000}s; SIGTERM stops it\n`);
    try {
      await fleet.run(abort.signal);
      ctx.stdout.write("controller: stopped\n");
    } finally {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
    }
  });
}
