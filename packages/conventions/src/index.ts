export * from "./outcomes.js";
export * from "./version.js";
export * from "./routing.js";
export * from "./metrics.js";
export * from "./strata.js";
export * from "./spans.js";
export * from "./shadow-metrics.js";
export * from "./metrics-doc.js";
