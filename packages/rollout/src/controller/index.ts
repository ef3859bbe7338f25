export { evidenceOutlook, type GateOutlook, type OutlookInput } from "./outlook.js";
export { startRollout, RolloutController, type ControllerOptions, type OutlookOptions, type RolloutRun, type RolloutResult, type TickOutcome } from "./controller.js";
export { EvaluatorGateSource, GateReportSchema, GateVerdictSchema, FiringGateSchema, type GateSource, type GateReport, type GateQuery, type FiringGate, type GateVerdictReport } from "./gate-source.js";
export { evidenceMissing, nextPercent, requiredBefore, scopeReport, type ScopedReport } from "./evidence.js";
export { PrometheusGateSource, type PrometheusGateSourceOptions } from "./prometheus-gate-source.js";
export { ManualClock, scaledClock, systemClock, type Clock } from "./clock.js";
export { PlanFileSchema, loadPlan } from "./plans.js";
export { archiveDeploymentRecord, buildDeploymentRecord, writeDeploymentRecord, type DeploymentRecord, type RolloutVersions, type StageRecord } from "../records/index.js";
export { stderrLogger, type ProgressLogger } from "./logger.js";
