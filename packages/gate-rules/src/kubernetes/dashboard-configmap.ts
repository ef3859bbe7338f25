import type { GeneratedFile } from "../generate.js";
import { objectMeta, type ObjectMeta } from "./metadata.js";
import type { DashboardConfigMapOptions } from "./options.js";

export interface ConfigMapResource {
  apiVersion: "v1";
  kind: "ConfigMap";
  metadata: ObjectMeta;
  data: Record<string, string>;
}

/** A ConfigMap holds at most 1 MiB; the API server refuses a larger one. */
export const CONFIGMAP_MAX_BYTES = 1024 * 1024;

/**
 * Dashboards as one ConfigMap that Grafana's dashboard sidecar (kube-prometheus-stack)
 * loads: every file a key, labelled with the sidecar's label. The dashboards pick
 * their Prometheus through a data source variable, so they work when provisioned.
 */
export function dashboardConfigMap(dashboards: readonly GeneratedFile[], options: DashboardConfigMapOptions): ConfigMapResource {
  const data = Object.fromEntries(dashboards.map((d) => [d.path.replace(/\//g, "_"), d.content]));
  const bytes = Object.entries(data).reduce((sum, [key, value]) => sum + Buffer.byteLength(key) + Buffer.byteLength(value), 0);
  if (bytes > CONFIGMAP_MAX_BYTES) throw new Error(`the dashboards take ${bytes} bytes, more than a ConfigMap holds (${CONFIGMAP_MAX_BYTES}); import them with --format json instead`);
  return { apiVersion: "v1", kind: "ConfigMap", metadata: objectMeta(options.name, options, { [options.sidecarLabel.key]: options.sidecarLabel.value }), data };
}
