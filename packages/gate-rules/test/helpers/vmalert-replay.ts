import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { runVmalertReplay, waitFor, type VictoriaMetricsHandle } from "@agent-canary/testkit";
import { stringify } from "yaml";
import type { AlertingRule, RecordingRule, RuleGroup } from "../../src/index.js";

type Rule = RecordingRule | AlertingRule;

const recordName = (rule: Rule): string | undefined => ("record" in rule ? rule.record : undefined);

/** A metric name used as a whole word in an expression (recorded names hold ':', so \b alone is not enough). */
function mentions(expr: string, name: string): boolean {
  return new RegExp(`(^|[^a-zA-Z0-9_:])${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}([^a-zA-Z0-9_:]|$)`).test(expr);
}

/**
 * The dependency level of every rule: 0 reads only raw series, n reads a series
 * recorded at level n-1 or lower. A rule reads the rules before it in its own group
 * (Prometheus evaluates a group in order) and any recording rule of another group.
 */
export function ruleLevels(groups: readonly RuleGroup<Rule>[]): number[][] {
  const levelOf = new Map<string, number>();
  const levels = groups.map(() => [] as number[]);
  // Recording groups first: alert groups only read recorded series.
  const order = groups.map((g, i) => ({ g, i })).sort((a, b) => Number(a.g.rules.some((r) => "alert" in r)) - Number(b.g.rules.some((r) => "alert" in r)));
  for (const { g, i } of order) {
    for (const rule of g.rules) {
      let level = 0;
      for (const [name, at] of levelOf) if (mentions(rule.expr, name)) level = Math.max(level, at + 1);
      levels[i]?.push(level);
      const name = recordName(rule);
      // One name is recorded by many groups (a `gate` label tells them apart): the highest level counts.
      if (name) levelOf.set(name, Math.max(levelOf.get(name) ?? 0, level));
    }
  }
  return levels;
}

/**
 * Evaluates rule groups in vmalert's replay mode over [from, to] against a
 * VictoriaMetrics holding the input series, results written back into it.
 *
 * Replay evaluates one rule over the whole range, then the next; a chained rule
 * reads what the previous one wrote, which VictoriaMetrics 1.79 makes searchable
 * only about 10 s later (measured). Rather than wait that long per rule, the
 * rules run level by level (one vmalert run per dependency level, group order and
 * intervals kept) with a forced flush between levels. Alert annotations are left
 * out: replay cannot run the `query` template function they use (live vmalert can);
 * they do not decide whether an alert fires.
 */
export async function replayInVmalert(vm: VictoriaMetricsHandle, dir: string, groups: readonly RuleGroup<Rule>[], from: Date, to: Date): Promise<void> {
  const levels = ruleLevels(groups);
  const deepest = Math.max(...levels.flat());
  for (let level = 0; level <= deepest; level++) {
    const subset = groups
      .map((g, i) => ({
        ...g,
        name: `${g.name}-level-${level}`,
        rules: g.rules.filter((_r, j) => levels[i]?.[j] === level).map((r) => ("alert" in r ? { ...r, annotations: {} } : r)),
      }))
      .filter((g) => g.rules.length > 0);
    const file = join(dir, `level-${level}.yaml`);
    await writeFile(file, stringify({ groups: subset }, { lineWidth: 0 }));
    await runVmalertReplay({ ruleFiles: [file], url: vm.url, from, to, rulesDelayMs: 0, extraArgs: ["-datasource.queryStep=1m"] });
    await settle(vm, subset.flatMap((g) => g.rules.map((r) => recordName(r) ?? "ALERTS")), from, to);
  }
}

/** Flushes VictoriaMetrics and waits until the series of the given names stop appearing. */
async function settle(vm: VictoriaMetricsHandle, names: string[], from: Date, to: Date): Promise<void> {
  await vm.flush();
  const match = `{__name__=~"${[...new Set(names)].join("|")}"}`;
  let last = -1;
  await waitFor(
    async () => {
      const count = (await vm.exportSeries(match, from.getTime(), to.getTime())).reduce((sum, s) => sum + s.values.length, 0);
      const stable = count === last;
      last = count;
      return stable;
    },
    { timeoutMs: 60_000, intervalMs: 250, what: `the results of ${names.length} rules in victoria-metrics` },
  );
}
