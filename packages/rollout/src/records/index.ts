export { archiveDeploymentRecord, defaultRecordsDir, buildDeploymentRecord, writeDeploymentRecord, type DeploymentRecord, type RolloutVersions, type StageRecord } from "./deployment-record.js";
