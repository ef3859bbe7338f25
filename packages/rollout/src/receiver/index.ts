export { createReceiver, type Receiver, type ReceiverOptions } from "./server.js";
export { ReceiverConfigSchema, type ReceiverConfig, type ReceiverConfigInput } from "./config.js";
export { AlertmanagerPayloadSchema, GrafanaPayloadSchema, type Alert } from "./payloads.js";
export { verifyGrafanaSignature, type GrafanaSignatureSettings } from "./grafana-signature.js";
export type { AlertOutcome } from "./apply-alerts.js";
