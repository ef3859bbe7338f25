import type { GatesConfig } from "../config/resolve.js";
import { generateDashboardFiles, type GeneratedFile } from "../generate.js";
import { toYaml } from "../prometheus/rules.js";
import { alertmanagerConfigResource } from "./alertmanager-config.js";
import { dashboardConfigMap } from "./dashboard-configmap.js";
import type { DashboardConfigMapOptions, KubernetesRulesOptions } from "./options.js";
import { prometheusRule } from "./prometheus-rule.js";

/** Kubernetes output files: the output directory holds only resources, so `kubectl apply -f <dir>` applies them. */
export const KUBERNETES_FILES = {
  prometheusRule: "prometheus-rule.yaml",
  alertmanagerConfig: "alertmanager-config.yaml",
} as const;

export const DASHBOARD_CONFIGMAP_FILE = "agent-canary-dashboards.configmap.yaml";

/** PrometheusRule and AlertmanagerConfig of one gates config, for the Prometheus Operator (kube-prometheus-stack). */
export function generateKubernetesFiles(config: GatesConfig, options: KubernetesRulesOptions): GeneratedFile[] {
  return [
    {
      path: KUBERNETES_FILES.prometheusRule,
      content: toYaml(prometheusRule(config, options), `PrometheusRule: the gates' recording and alert rules; its labels must match the Prometheus CR's ruleSelector.`),
    },
    {
      path: KUBERNETES_FILES.alertmanagerConfig,
      content: toYaml(
        alertmanagerConfigResource(config, options),
        `AlertmanagerConfig: gate alerts (action=rollback|hold, namespace=${options.namespace}) to the agent-canary receiver; needs Secret ${options.tokenSecret} (key ${options.tokenSecretKey}) in ${options.namespace}.`,
      ),
    },
  ];
}

/** The dashboards of a gates config as a ConfigMap for Grafana's dashboard sidecar. */
export function generateDashboardConfigMapFiles(config: GatesConfig, options: DashboardConfigMapOptions): GeneratedFile[] {
  const configMap = dashboardConfigMap(generateDashboardFiles(config), options);
  return [{ path: DASHBOARD_CONFIGMAP_FILE, content: toYaml(configMap, `ConfigMap for Grafana's dashboard sidecar (label ${options.sidecarLabel.key}=${options.sidecarLabel.value}).`) }];
}
