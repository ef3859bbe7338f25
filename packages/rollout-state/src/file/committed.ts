import { readdir } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { InvalidStateError } from "../errors.js";
import { parseAuditLine, parseStoredState } from "../parse.js";
import type { AuditEntry, RolloutState } from "../schema.js";
import { readLastLine, readOwnFile } from "./durable.js";
import { parseStagedName, type DeploymentPaths } from "./paths.js";

/**
 * The audit log's last complete line, parsed; undefined when there is none. A line that
 * does not parse is reported through `onCorrupt` and treated as no commit: it cannot be
 * matched to a staged state, and it must not stop every later write (a rollback among them).
 */
export async function lastAuditEntry(paths: DeploymentPaths, onCorrupt: (error: InvalidStateError) => void): Promise<AuditEntry | undefined> {
  const line = await readLastLine(paths.audit);
  if (line === undefined) return undefined;
  try {
    return parseAuditLine(`${paths.audit} (last line)`, line);
  } catch (error) {
    if (!(error instanceof InvalidStateError)) throw error;
    onCorrupt(error);
    return undefined;
  }
}

/** The state file as it is on disk, parsed; undefined when there is none. */
export async function readStateFile(paths: DeploymentPaths, deployment: string): Promise<RolloutState | undefined> {
  let raw: string | undefined;
  try {
    raw = await readOwnFile(paths.state);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EISDIR") throw new InvalidStateError(basename(paths.state), "", "is a directory");
    if (code === "ELOOP") throw new InvalidStateError(basename(paths.state), "", "is a symbolic link; the store reads only regular files it wrote");
    throw error;
  }
  return raw === undefined ? undefined : parseStoredState(paths.state, raw, deployment);
}

/** The audit entry that committed a write whose rename has not happened yet, if any. */
export function pendingCommit(last: AuditEntry | undefined, stateRevision: number | null): AuditEntry | undefined {
  if (!last || last.fromRevision === last.toRevision) return undefined;
  return last.fromRevision === stateRevision ? last : undefined;
}

/** Does this staged state carry the transition that `entry` committed? */
function committedBy(state: RolloutState, entry: AuditEntry): boolean {
  const t = state.lastTransition;
  return state.revision === entry.toRevision && t !== null && t.at === entry.at && t.by === entry.by && t.action === entry.action && t.reason === entry.reason;
}

/** Staged files of one deployment: name, path and revision. */
export async function stagedFiles(paths: DeploymentPaths, deployment: string): Promise<{ path: string; revision: number }[]> {
  const dir = dirname(paths.state);
  const names = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return [];
    throw error;
  });
  return names.flatMap((name) => {
    const staged = parseStagedName(name);
    return staged?.deployment === deployment ? [{ path: join(dir, name), revision: staged.revision }] : [];
  });
}

/**
 * The staged state a commit entry names, or undefined (never staged by a matching writer,
 * or renamed into place since the entry was read). Staged names are unique per writer, so
 * the content decides which one the entry committed.
 */
export async function stagedStateOf(paths: DeploymentPaths, deployment: string, entry: AuditEntry): Promise<{ path: string; state: RolloutState } | undefined> {
  for (const file of await stagedFiles(paths, deployment)) {
    if (file.revision !== entry.toRevision) continue;
    const raw = await readOwnFile(file.path).catch(() => undefined);
    if (raw === undefined) continue;
    try {
      const state = parseStoredState(file.path, raw, deployment);
      if (committedBy(state, entry)) return { path: file.path, state };
    } catch {
      // A staged file cut short by a crash was never committed.
    }
  }
  return undefined;
}

/**
 * The committed state: the audit append is the commit point, so when the last audit entry
 * is one revision ahead of the state file (a writer died between its commit and its rename,
 * or is about to rename), the staged state it committed is the truth. Readers see it at
 * once instead of the state one revision behind (which, after a crash, lasted until the
 * next write). A rename racing this read is retried.
 */
export async function readCommitted(paths: DeploymentPaths, deployment: string, onCorrupt: (error: InvalidStateError) => void): Promise<RolloutState | undefined> {
  for (let attempt = 0; ; attempt++) {
    const state = await readStateFile(paths, deployment);
    const commit = pendingCommit(await lastAuditEntry(paths, onCorrupt), state?.revision ?? null);
    if (!commit) return state;
    const staged = await stagedStateOf(paths, deployment, commit);
    if (staged) return staged.state;
    // The staged file was renamed into place between our reads: read again. A commit entry
    // whose staged file is gone for good (removed by hand) leaves the state file as it is.
    if (attempt >= 2) return state;
  }
}
