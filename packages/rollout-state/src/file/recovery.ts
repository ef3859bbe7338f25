import { unlink } from "node:fs/promises";
import { dirname } from "node:path";
import type { InvalidStateError } from "../errors.js";
import type { RolloutState } from "../schema.js";
import { lastAuditEntry, pendingCommit, readStateFile, stagedFiles, stagedStateOf } from "./committed.js";
import { renameSynced, truncateTornTail } from "./durable.js";
import type { DeploymentPaths } from "./paths.js";

/**
 * Finishes or discards the work of a writer that died holding the lock; runs under the lock
 * before every write. A torn audit line (no newline: never acknowledged) is cut; a staged
 * state its commit entry names is renamed into place; every other staged file of the
 * deployment was never committed and is removed. Returns the state writes now build on.
 */
export async function recoverUnderLock(paths: DeploymentPaths, deployment: string, onCorrupt: (error: InvalidStateError) => void): Promise<RolloutState | undefined> {
  await truncateTornTail(paths.audit);
  let state = await readStateFile(paths, deployment);
  const commit = pendingCommit(await lastAuditEntry(paths, onCorrupt), state?.revision ?? null);
  const rollForward = commit ? await stagedStateOf(paths, deployment, commit) : undefined;
  if (rollForward) {
    await renameSynced(rollForward.path, paths.state, dirname(paths.state));
    state = rollForward.state;
  }
  for (const file of await stagedFiles(paths, deployment)) {
    if (file.path !== rollForward?.path) await unlink(file.path).catch(() => undefined);
  }
  return state;
}
