export { createReceiver, type Receiver, type ReceiverOptions } from "./server.js";
export { ReceiverConfigSchema, GRAFANA_TIMESTAMP_HEADERS, type ReceiverConfig, type ReceiverConfigInput } from "./config.js";
export { ReceiverStartError } from "./durability-check.js";
export { AlertmanagerPayloadSchema, GrafanaPayloadSchema, type Alert } from "./payloads.js";
export { verifyGrafanaSignature, type GrafanaSignatureSettings } from "./grafana-signature.js";
export { parseMatchers, matchesAll, type AlertMatcher } from "./alert-matchers.js";
export { ROLLOUT_ID_LABEL } from "./alert-scope.js";
export type { AlertOutcome } from "./apply-alerts.js";
