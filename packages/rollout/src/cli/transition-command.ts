import { transition, type Mutation, type RolloutStore, type TransitionResult } from "@agent-canary/rollout-state";
import { Option, type Command } from "commander";
import { parseDeployment } from "./inputs.js";
import { emit, type CliContext } from "./io.js";
import { runAction, withStore } from "./run-action.js";
import { describeState } from "./status-text.js";

export interface CommonFlags {
  deployment: string;
  store: string;
  reason?: string;
  json?: boolean;
}

export function storeOption(ctx: CliContext): Option {
  // The default honours AGENT_CANARY_STORE so one export serves every command.
  return new Option("--store <spec>", "where rollout state lives: file:<dir> or redis://host:port (env AGENT_CANARY_STORE)").default(
    ctx.env.AGENT_CANARY_STORE ?? "file:./rollout-state",
  );
}

export function example(lines: string[]): string {
  return `\nExample:\n${lines.map((l) => `  $ ${l}`).join("\n")}\n`;
}

/** What a state change did, for --json: the outcome, why nothing changed (if so), the state after, and what else was written. */
function resultJson(result: TransitionResult, extra: Record<string, unknown>): Record<string, unknown> {
  return { status: result.status, ...(result.status === "changed" ? {} : { reason: result.reason }), state: result.state ?? null, ...extra };
}

function resultLines(result: TransitionResult): string[] {
  const head = result.status === "changed" ? `changed (revision ${result.state.revision})` : `unchanged: ${result.reason}`;
  return [head, ...(result.state ? [describeState(result.state).trimEnd()] : [])];
}

/** Prints a state change: the text a person reads, or with --json one JSON document. */
export function report(ctx: CliContext, result: TransitionResult, json?: boolean, extra: Record<string, unknown> = {}): void {
  emit(ctx, json, resultJson(result, extra), () => [...resultLines(result), ...(typeof extra.record === "string" ? [`deployment record: ${extra.record}`] : [])]);
}

/** Adds a state-changing subcommand that applies one mutation through compare-and-set. */
export function addTransitionCommand(
  parent: Command,
  ctx: CliContext,
  spec: {
    name: string;
    summary: string;
    example: string;
    extra?: (cmd: Command) => Command;
    mutation: (flags: CommonFlags & Record<string, string>) => Mutation;
    /** What the audit entry should name besides the reason (e.g. the gate accepted). */
    details?: (flags: CommonFlags & Record<string, string>) => Record<string, unknown>;
    /** Work after a change (the deployment record); what it returns is printed with the result. */
    after?: (store: RolloutStore, flags: CommonFlags & Record<string, string>, result: TransitionResult) => Promise<Record<string, unknown>> },
): void {
  const command = parent
    .command(spec.name)
    .description(spec.summary)
    .requiredOption("--deployment <name>", "the deployment to change")
    .addOption(storeOption(ctx))
    .option("--reason <text>", "why; kept in the audit log", "manual change via CLI")
    .option("--json", "print the result (status, reason, state after) as JSON");
  spec.extra?.(command);
  command.addHelpText("after", example([spec.example]));
  command.action(async (flags: CommonFlags & Record<string, string>, cmd: Command) =>
    runAction(cmd, () =>
      withStore(flags.store, async (store) => {
        const deployment = parseDeployment("--deployment", flags.deployment);
        const details = spec.details?.(flags);
        const result = await transition(store, deployment, spec.mutation(flags), { by: `cli:${ctx.user}`, reason: flags.reason ?? "manual change via CLI", ...(details ? { details } : {}) });
        const extra = (await spec.after?.(store, flags, result)) ?? {};
        report(ctx, result, flags.json === true, extra);
      }),
    ),
  );
}

