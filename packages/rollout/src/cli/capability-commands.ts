import { setCapability, type RolloutState } from "@agent-canary/rollout-state";
import type { Command } from "commander";
import { parseDeployment, parsePercent } from "./inputs.js";
import { CliError, emit, type CliContext } from "./io.js";
import { runAction, withStore } from "./run-action.js";
import { addTransitionCommand, example, storeOption } from "./transition-command.js";

/** The capabilities of a state, one line each, as `capability list` prints them. */
export function capabilityLines(state: RolloutState): string[] {
  const entries = Object.entries(state.capabilities);
  if (entries.length === 0) return [`${state.deployment}: no capabilities; add one with \`agent-canary rollout capability set --deployment ${state.deployment} --name <name> --percent 5\``];
  return entries.map(([name, c]) => `${state.deployment} ${name} ${c.enabled ? "on" : "off"} at ${c.percent}%${c.reason ? ` (${c.reason})` : ""}`);
}

/**
 * `rollout capability list|set|enable|disable`: a capability (a tool or feature
 * inside a version) gets its own share of sessions; every change is audited
 * with the capability's name and percent, before and after.
 */
export function addCapabilityCommands(rollout: Command, ctx: CliContext): void {
  const capability = rollout
    .command("capability")
    .description("list capability flags, set a capability's percent, switch one off or back on (audited with its name and percent)")
    .addHelpText("after", example(["agent-canary rollout capability disable --deployment support-bot --name refunds --reason 'refunds loop'"]));

  capability
    .command("list")
    .description("list the capabilities of one deployment (or all), with their percent and whether they are on")
    .option("--deployment <name>", "one deployment; all when absent")
    .option("--json", "print JSON instead of text")
    .addOption(storeOption(ctx))
    .addHelpText("after", example(["agent-canary rollout capability list --deployment support-bot"]))
    .action(async (flags: { deployment?: string; json?: boolean; store: string }, cmd: Command) =>
      runAction(cmd, () =>
        withStore(flags.store, async (store) => {
          const names = flags.deployment ? [parseDeployment("--deployment", flags.deployment)] : await store.list();
          const states = (await Promise.all(names.map((name) => store.read(name)))).filter((s): s is RolloutState => s !== undefined);
          if (flags.deployment && states.length === 0) throw new CliError(`--deployment ${flags.deployment}: no rollout state in ${flags.store}; start one with \`agent-canary rollout start\``);
          emit(ctx, flags.json, Object.fromEntries(states.map((s) => [s.deployment, s.capabilities])), () => states.flatMap(capabilityLines));
        }),
      ),
    );

  addTransitionCommand(capability, ctx, {
    name: "set",
    summary: "create a capability or change its percent (it stays off if it was switched off: use enable)",
    example: "agent-canary rollout capability set --deployment support-bot --name refunds --percent 10 --reason 'refund tool to 10%'",
    extra: (cmd) => cmd.requiredOption("--name <capability>", "the capability, as the agent names it").requiredOption("--percent <0-100>", "its share of sessions"),
    mutation: (flags) => setCapability(flags.deployment, flags.name ?? "", { percent: parsePercent("--percent", flags.percent ?? ""), ...(flags.reason ? { reason: flags.reason } : {}) }),
  });
  addTransitionCommand(capability, ctx, {
    name: "disable",
    summary: "switch a capability off (0% whatever its percent), as a capability alert does",
    example: "agent-canary rollout capability disable --deployment support-bot --name refunds --reason 'refunds loop'",
    extra: (cmd) => cmd.requiredOption("--name <capability>", "the capability to switch off"),
    mutation: (flags) => setCapability(flags.deployment, flags.name ?? "", { enabled: false, ...(flags.reason ? { reason: flags.reason } : {}) }),
  });
  addTransitionCommand(capability, ctx, {
    name: "enable",
    summary: "switch a capability back on at its percent (or at --percent)",
    example: "agent-canary rollout capability enable --deployment support-bot --name refunds --percent 5 --reason 'loop fixed in v43'",
    extra: (cmd) => cmd.requiredOption("--name <capability>", "the capability to switch on").option("--percent <0-100>", "its share of sessions from now on"),
    mutation: (flags) =>
      setCapability(flags.deployment, flags.name ?? "", {
        enabled: true,
        ...(flags.percent === undefined ? {} : { percent: parsePercent("--percent", flags.percent) }),
        ...(flags.reason ? { reason: flags.reason } : {}),
      }),
  });
}
