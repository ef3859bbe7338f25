import { start, transition, type RolloutStore, type StartInput } from "@agent-canary/rollout-state";
import { readGatesConfigFlag, reportingConfigProblems, type GatesConfig } from "@agent-canary/gate-rules";
import { defaultRecordsDir } from "../records/index.js";
import { startRollout } from "../controller/start-rollout.js";
import { isGatesConfigFile, loadPlan } from "../controller/plans.js";
import { PrometheusGateSource } from "../controller/prometheus-gate-source.js";
import type { DrivingFlags } from "./driving-options.js";
import { parseDeployment, parseHttpUrl, parsePositiveInt, parseVersionRef } from "./inputs.js";
import { usageError, type CliContext } from "./io.js";
import { withStore } from "./run-action.js";
import { report } from "./transition-command.js";

/*
 * What `rollout start` runs, loaded only when it runs: the plans, the gates
 * config and the controller bring the rule generator, which `rollout status`
 * and the other commands never need.
 */

export interface StartFlags extends DrivingFlags {
  deployment: string;
  canary: string;
  baseline?: string;
  plan: string;
  restart?: boolean;
  drainTimeout?: string;
  salt?: string;
  store: string;
}

interface DriveInputs {
  prometheusUrl: string;
  config: GatesConfig;
  intervalMs: number;
  exportMode: "prometheus" | "otlp";
}

async function startInputs(flags: StartFlags): Promise<{ deployment: string; start: StartInput; drive: DriveInputs | undefined }> {
  const deployment = parseDeployment("--deployment", flags.deployment);
  const canary = await parseVersionRef("--canary", flags.canary);
  const baseline = flags.baseline === undefined ? undefined : await parseVersionRef("--baseline", flags.baseline);
  const stages = await loadPlan(flags.plan);
  const drain = flags.drainTimeout === undefined ? undefined : parsePositiveInt("--drain-timeout", flags.drainTimeout);
  const drive =
    flags.prometheusUrl === undefined
      ? undefined
      : {
          prometheusUrl: parseHttpUrl("--prometheus-url", flags.prometheusUrl),
          intervalMs: parsePositiveInt("--interval", flags.interval, 1) * 1000,
          exportMode: flags.export,
          config: await gatesConfigFor(flags),
        };
  const startInput: StartInput = {
    deployment,
    canary,
    stages,
    ...(baseline ? { baseline } : {}),
    ...(drain === undefined ? {} : { drainTimeoutSeconds: drain }),
    ...(flags.salt === undefined ? {} : { salt: flags.salt }),
    onRolledBack: flags.restart ? "restart" : "refuse",
  };
  return { deployment, start: startInput, drive };
}

/**
 * The gates config the controller reads verdicts with: --gates, or --plan when
 * it is a gates config. Without it the controller cannot know which gates must
 * pass before which percent, so driving is refused before anything is written.
 */
async function gatesConfigFor(flags: StartFlags): Promise<GatesConfig> {
  const path = flags.gates ?? (await isGatesConfigFile(flags.plan) ? flags.plan : undefined);
  if (path === undefined) {
    throw usageError("--prometheus-url needs the gates config the rules were generated from, to read each gate's verdict: add --gates gates.yaml (or pass it as --plan gates.yaml)");
  }
  return readGatesConfigFlag(flags.gates ? "--gates" : "--plan", path);
}

/** Runs the controller in the foreground until promotion, rollback, or SIGINT/SIGTERM. */
async function driveRollout(ctx: CliContext, store: RolloutStore, deployment: string, drive: DriveInputs, archiveDir: string | undefined): Promise<void> {
  const run = startRollout({
    store,
    deployment,
    gates: new PrometheusGateSource({ url: drive.prometheusUrl, config: drive.config, exportMode: drive.exportMode }),
    intervalMs: drive.intervalMs,
    archiveDir: archiveDir ?? defaultRecordsDir(store),
    by: `controller:${ctx.user}`,
    // Says early (logged, and in the stage record) when a required gate cannot decide at this traffic.
    outlook: { config: drive.config },
  });
  const stop = () => run.stop();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  try {
    const outcome = await run.done;
    ctx.stdout.write(`rollout ended: ${outcome.kind}: ${outcome.reason}\n`);
  } finally {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
  }
}

/** `rollout start`: every flag is checked before the state is touched, so a typo changes nothing. */
export async function runStart(ctx: CliContext, flags: StartFlags): Promise<void> {
  const inputs = await reportingConfigProblems(() => startInputs(flags));
  await withStore(flags.store, async (store) => {
    const result = await transition(store, inputs.deployment, start(inputs.start), { by: `cli:${ctx.user}`, reason: `start rollout of ${inputs.start.canary.hash}` });
    report(ctx, result);
    if (!inputs.drive) {
      ctx.stdout.write("the rollout stays at this stage until a controller advances it: rerun with --prometheus-url, or use `rollout set`\n");
      return;
    }
    await driveRollout(ctx, store, inputs.deployment, inputs.drive, flags.archiveDir);
  });
}
