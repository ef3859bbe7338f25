import { join } from "node:path";
import { DeploymentNameSchema } from "../schema.js";

/** Every file a deployment owns in the store directory. */
export interface DeploymentPaths {
  state: string;
  audit: string;
  lock: string;
  /**
   * The staged next state of revision `rev`, written before the audit append. The writer's
   * token makes the name unique per writer, so two writers can never write one staged file.
   */
  staged(rev: number, token: string): string;
}

export const STATE_SUFFIX = ".json";
/** `<dep>.json.<rev>.<token>.tmp`, or `<dep>.json.<rev>.tmp` as earlier versions named it. */
const STAGED = /^(.+)\.json\.(\d+)(?:\.([0-9a-f]{8,64}))?\.tmp$/;

export function deploymentPaths(dir: string, deployment: string): DeploymentPaths {
  // The name becomes part of a path: refuse anything that could escape the directory.
  DeploymentNameSchema.parse(deployment);
  return {
    state: join(dir, `${deployment}${STATE_SUFFIX}`),
    audit: join(dir, `${deployment}.audit.jsonl`),
    lock: join(dir, `${deployment}.lock`),
    staged: (rev, token) => join(dir, `${deployment}${STATE_SUFFIX}.${rev}.${token}.tmp`),
  };
}

/** The deployment and revision of a staged file name, if it is one. */
export function parseStagedName(name: string): { deployment: string; revision: number } | undefined {
  const match = STAGED.exec(name);
  if (!match?.[1] || !match[2]) return undefined;
  return { deployment: match[1], revision: Number(match[2]) };
}

/** The deployment whose state file this is, if it is one. */
export function deploymentOfStateFile(name: string): string | undefined {
  if (!name.endsWith(STATE_SUFFIX)) return undefined;
  const deployment = name.slice(0, -STATE_SUFFIX.length);
  return DeploymentNameSchema.safeParse(deployment).success ? deployment : undefined;
}
