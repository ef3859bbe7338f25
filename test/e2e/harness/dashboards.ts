import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";

/**
 * Reads the committed Grafana dashboards and lists every panel query with its
 * template variables substituted, so a test can run each one against a real
 * Prometheus exactly as Grafana would.
 */

const TargetSchema = z.object({ expr: z.string().optional(), refId: z.string().optional(), hide: z.boolean().optional() }).loose();

interface Panel {
  title?: string;
  type?: string;
  targets?: z.infer<typeof TargetSchema>[];
  panels?: Panel[];
}

const PanelSchema: z.ZodType<Panel> = z.lazy(() =>
  z
    .object({
      title: z.string().optional(),
      type: z.string().optional(),
      targets: z.array(TargetSchema).optional(),
      panels: z.array(PanelSchema).optional(),
    })
    .loose(),
);

const VariableSchema = z
  .object({
    name: z.string(),
    type: z.string().optional(),
    current: z.object({ value: z.union([z.string(), z.array(z.string())]).optional() }).loose().optional(),
  })
  .loose();

const DashboardSchema = z
  .object({
    title: z.string(),
    panels: z.array(PanelSchema).default([]),
    templating: z.object({ list: z.array(VariableSchema).default([]) }).loose().default({ list: [] }),
  })
  .loose();

export interface PanelQuery {
  dashboard: string;
  panel: string;
  refId: string;
  /** As written in the dashboard. */
  template: string;
  /** With every variable replaced. */
  expr: string;
}

function flattenPanels(panels: readonly Panel[]): Panel[] {
  return panels.flatMap((panel) => [panel, ...flattenPanels(panel.panels ?? [])]);
}

/** Grafana's three variable syntaxes: $name, ${name} (with an optional :format) and [[name]]. */
export function substituteVariables(expr: string, values: Readonly<Record<string, string>>): string {
  const lookup = (name: string): string => {
    const value = values[name];
    if (value === undefined) throw new Error(`no value for dashboard variable $${name} in: ${expr}`);
    return value;
  };
  return expr
    .replace(/\$\{(\w+)(?::\w+)?\}/g, (_, name: string) => lookup(name))
    .replace(/\[\[(\w+)\]\]/g, (_, name: string) => lookup(name))
    .replace(/\$(\w+)/g, (_, name: string) => lookup(name));
}

export async function dashboardQueries(dir: string, values: Readonly<Record<string, string>>): Promise<PanelQuery[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith(".json")).sort();
  if (files.length === 0) throw new Error(`no dashboards (*.json) in ${dir}; generate them with \`agent-canary dashboards\``);
  const queries: PanelQuery[] = [];
  for (const file of files) {
    const parsed = DashboardSchema.safeParse(JSON.parse(await readFile(join(dir, file), "utf8")));
    if (!parsed.success) throw new Error(`${file} is not a Grafana dashboard: ${parsed.error.message}`);
    const dashboard = parsed.data;
    // Dashboard variables first take their saved value; the caller's values win.
    const saved: Record<string, string> = {};
    for (const variable of dashboard.templating.list) {
      const value = variable.current?.value;
      if (typeof value === "string") saved[variable.name] = value;
      else if (Array.isArray(value) && value[0] !== undefined) saved[variable.name] = value[0];
    }
    for (const panel of flattenPanels(dashboard.panels)) {
      for (const target of panel.targets ?? []) {
        if (!target.expr || target.hide) continue;
        queries.push({
          dashboard: file,
          panel: panel.title ?? "(untitled)",
          refId: target.refId ?? "A",
          template: target.expr,
          expr: substituteVariables(target.expr, { ...saved, ...values }),
        });
      }
    }
  }
  return queries;
}

/** A query's result is per group when its series keep the version_group label. */
export function isPerGroupResult(samples: readonly { metric: Record<string, string> }[]): boolean {
  return samples.some((s) => s.metric.version_group !== undefined);
}
