import { AlertmanagerConfig } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1alpha1/AlertmanagerConfig";
import { PrometheusRule } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";

/**
 * Checks an object against the published schema of its kind (the models are
 * generated from the Kubernetes OpenAPI spec and the Prometheus Operator's Go
 * types): types, enums, required fields, patterns. Throws with the path of the
 * first problem.
 */
const MODELS: Record<string, (data: never) => { validate(): void }> = {
  "monitoring.coreos.com/v1/PrometheusRule": (data) => new PrometheusRule(data),
  "monitoring.coreos.com/v1alpha1/AlertmanagerConfig": (data) => new AlertmanagerConfig(data),
  "v1/ConfigMap": (data) => new ConfigMap(data),
};

export function validateResource(resource: { apiVersion: string; kind: string }): void {
  const model = MODELS[`${resource.apiVersion}/${resource.kind}`];
  if (!model) throw new Error(`no schema for ${resource.apiVersion} ${resource.kind}`);
  model(resource as never).validate();
}
