import { METRICS, prometheusName, prometheusLabel, type MetricDef } from "./metrics.js";
import { SHADOW_METRICS } from "./shadow-metrics.js";

const SERIES_SUFFIX: Record<MetricDef["kind"], string> = {
  counter: "",
  histogram: "_bucket / _sum / _count",
  updown: "",
  gauge: "",
};

const PROMETHEUS_TYPE: Record<MetricDef["kind"], string> = {
  counter: "counter",
  histogram: "histogram",
  updown: "gauge",
  gauge: "gauge",
};

function row(def: MetricDef): string {
  const exporter = prometheusName(def, "prometheus");
  const otlp = prometheusName(def, "otlp");
  const names = exporter === otlp ? `\`${exporter}\`` : `\`${exporter}\` / \`${otlp}\``;
  const labels = def.labels.map((l) => `\`${prometheusLabel(l)}\``).join(" ");
  return `| ${names} | ${PROMETHEUS_TYPE[def.kind]}${SERIES_SUFFIX[def.kind] ? ` (${SERIES_SUFFIX[def.kind]})` : ""} | ${labels} | ${def.description} |`;
}

/**
 * The metrics reference as a Markdown table, generated from the catalog so the
 * README cannot drift from what the agent emits. Where the two export paths
 * name a metric differently, both names are given: Prometheus exporter first,
 * OTLP-into-Prometheus second.
 */
export function metricsReferenceTable(): string {
  const header = [
    "| Prometheus name (exporter / OTLP where they differ) | type | labels | meaning |",
    "| --- | --- | --- | --- |",
  ];
  const defs: MetricDef[] = [...Object.values(METRICS), ...Object.values(SHADOW_METRICS)];
  return [...header, ...defs.map(row)].join("\n");
}
