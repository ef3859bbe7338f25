export { freePort } from "./ports.js";
export { waitFor, type WaitOptions } from "./wait.js";
export { findBinary } from "./binaries.js";
export { makeTempDir, type ServerHandle } from "./process.js";
export { startRedis, type RedisHandle } from "./redis.js";
export { startAlertmanager, type AlertmanagerHandle, type PostableAlert } from "./alertmanager.js";
export { startPrometheus, type PrometheusHandle, type PrometheusOptions, type PromSample } from "./prometheus.js";
export { startVictoriaMetrics, startVmalert, runVmalertReplay, victoriaMetricsBinaries, type VictoriaMetricsHandle, type ExportedSeries, type VmalertOptions, type VmalertReplayOptions } from "./victoria-metrics.js";
