import { acceptGate, pause, promote, resume, rollback, setPercent, type RolloutStore, type TransitionResult } from "@agent-canary/rollout-state";
import type { Command } from "commander";
import { addDrivingOptions, archiveDirOption } from "./driving-options.js";
import { defaultRecordsDir, writeDeploymentRecord } from "../records/index.js";
import { parseDeployment, parsePercent, parsePositiveInt } from "./inputs.js";
import { CliError, emit, type CliContext } from "./io.js";
import { runAction, withStore } from "./run-action.js";
import type { StartFlags } from "./start-action.js";
import { addTransitionCommand, example, storeOption } from "./transition-command.js";
import { auditLines, describeState } from "./status-text.js";

/** An operator's ending (promote, rollback) writes the record like the controller's and the receiver's. */
async function recordEnding(store: RolloutStore, flags: { deployment: string; archiveDir?: string }, result: TransitionResult, outcome: string): Promise<{ record?: string }> {
  if (result.status !== "changed" || !result.previous?.canary) return {};
  const record = await writeDeploymentRecord({ store, deployment: flags.deployment, outcome, dir: flags.archiveDir ?? defaultRecordsDir(store), now: new Date(result.state.updatedAt), previous: result.previous });
  return { record };
}


export function addRolloutSubcommands(rollout: Command, ctx: CliContext): void {
  const start = rollout
    .command("start")
    .description("start a rollout of --canary against --baseline at the plan's first stage; with --prometheus-url (and --gates, unless --plan is that file), keep driving it to promotion or rollback")
    .requiredOption("--deployment <name>", "the deployment to roll out")
    .requiredOption("--canary <hash|file>", "the new version: a 16-hex version hash or a version spec file")
    .option("--baseline <hash|file>", "the current version (required the first time; defaults to the deployment's baseline)")
    .option("--plan <tier|file>", "low, medium, high, critical, a gates.yaml (its rollout section), or a YAML/JSON file with stages", "medium")
    .option("--drain-timeout <seconds>", "after a rollback, how long canary sessions may finish")
    .option("--salt <text>", "reshuffles which sessions fall in the canary's routing slots for this rollout")
    .option("--restart", "roll out again a canary that was rolled back (refused without it, so a retried Job cannot restart it)");
  addDrivingOptions(start, false)
    .addOption(storeOption(ctx))
    .addHelpText(
      "after",
      example([
        "agent-canary rollout start --deployment support-bot --baseline 3f2a9c0d1e4b5a6f --canary ./versions/v2.yaml --plan medium",
        "agent-canary rollout start --deployment support-bot --canary 9b1c2d3e4f5a6b7c --plan gates.yaml --prometheus-url http://127.0.0.1:9090",
      ]),
    )
    .action(async (flags: StartFlags, cmd: Command) => runAction(cmd, async () => (await import("./start-action.js")).runStart(ctx, flags)));

  rollout
    .command("status")
    .description("show the rollout state of one deployment (or all) and its latest audit entries")
    .option("--deployment <name>", "one deployment; all when absent")
    .option("--audit <n>", "how many audit entries to show", "5")
    .option("--json", "print JSON instead of text")
    .addOption(storeOption(ctx))
    .addHelpText("after", example(["agent-canary rollout status --deployment support-bot --audit 10", "agent-canary rollout status --store redis://127.0.0.1:6379 --json"]))
    .action(async (flags: { deployment?: string; audit: string; json?: boolean; store: string }, cmd: Command) =>
      runAction(cmd, () =>
        withStore(flags.store, async (store) => {
          const limit = parsePositiveInt("--audit", flags.audit);
          const names = flags.deployment ? [parseDeployment("--deployment", flags.deployment)] : await store.list();
          const entries = await Promise.all(names.map(async (name) => ({ name, state: await store.read(name), audit: await store.auditLog(name, { limit }) })));
          if (flags.deployment && !entries[0]?.state) throw new CliError(`--deployment ${flags.deployment}: no rollout state in ${flags.store}; start one with \`agent-canary rollout start\``);
          emit(ctx, flags.json, entries.map(({ state, audit }) => ({ state, audit })), () => {
            if (entries.length === 0) return [`no deployments in ${flags.store}`];
            return entries.flatMap(({ state, audit }) => (state ? [describeState(state).trimEnd(), ...auditLines(audit).map((line) => `    ${line}`)] : []));
          });
        }),
      ),
    );

  addTransitionCommand(rollout, ctx, {
    name: "set",
    summary: "set the canary percent by hand (the phase is unchanged)",
    example: "agent-canary rollout set --deployment support-bot --percent 10 --reason 'more traffic for the judge'",
    extra: (cmd) => cmd.requiredOption("--percent <0-100>", "the new canary percent"),
    mutation: (flags) => setPercent(flags.deployment, parsePercent("--percent", flags.percent ?? "")),
  });
  addTransitionCommand(rollout, ctx, {
    name: "pause",
    summary: "stop progression at the current percent",
    example: "agent-canary rollout pause --deployment support-bot --reason 'investigating latency'",
    mutation: (flags) => pause(flags.deployment),
  });
  addTransitionCommand(rollout, ctx, {
    name: "resume",
    summary: "let a paused (or held) rollout progress again",
    example: "agent-canary rollout resume --deployment support-bot --reason 'latency explained by provider incident'",
    mutation: (flags) => resume(flags.deployment),
  });
  addTransitionCommand(rollout, ctx, {
    name: "rollback",
    summary: "send all new sessions to baseline now (canary 0%); running canary sessions drain; archives the deployment record",
    example: "agent-canary rollout rollback --deployment support-bot --reason 'cost per session up 3x'",
    extra: (cmd) => cmd.addOption(archiveDirOption()),
    mutation: (flags) => rollback(flags.deployment),
    after: (store, flags, result) => recordEnding(store, flags, result, "rolled_back"),
  });
  addTransitionCommand(rollout, ctx, {
    name: "accept",
    summary: "let the controller advance over an undecided gate for this rollout only (a failing gate still holds or rolls back)",
    example: "agent-canary rollout accept --deployment support-bot --gate loops --reason 'loops are rare here; 3 weeks of traffic would be needed'",
    extra: (cmd) => cmd.requiredOption("--gate <name>", "the gate to accept, as named in gates.yaml"),
    mutation: (flags) => acceptGate(flags.deployment, flags.gate ?? "", { by: `cli:${ctx.user}`, reason: flags.reason ?? "manual change via CLI" }),
    details: (flags) => ({ gate: flags.gate }),
  });
  addTransitionCommand(rollout, ctx, {
    name: "promote",
    summary: "make the canary the new baseline and end the rollout; archives the deployment record",
    example: "agent-canary rollout promote --deployment support-bot --reason 'all gates green at 50%'",
    extra: (cmd) => cmd.addOption(archiveDirOption()),
    mutation: (flags) => promote(flags.deployment),
    after: (store, flags, result) => recordEnding(store, flags, result, "promoted"),
  });
}
