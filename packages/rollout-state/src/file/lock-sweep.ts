import { basename, dirname, join } from "node:path";
import { certainlyDead, parseOwner } from "./lock-owner.js";
import type { LockIo } from "./lock-io.js";

/** `<lock>.<token>.pending`: a finished lock waiting to be linked into place. */
const PENDING = /^([0-9a-f]{16,64})\.pending$/;
/** Left by earlier versions: `<lock>.<pid>.<token>.pending` and `<lock>.<pid>.<hex>.stale`. */
const LEGACY_LEFTOVER = /^\d+\.[0-9a-f]+\.(pending|stale)$/;
/** `<lock>.<id>.breaking`: a breaker's claim on one stale lock. */
const BREAKING = /^[0-9a-f]+\.breaking$/;

/** Is this leftover next to the lock abandoned? Only called under the lock. */
async function abandoned(io: LockIo, file: string, rest: string, leaseMs: number): Promise<boolean> {
  // Gone since the directory was listed (its writer or breaker finished): nothing to judge.
  const info = await io.stat(file).catch(() => undefined);
  if (!info) return false;
  if (BREAKING.test(rest)) return io.now() - info.ctimeMs > leaseMs;
  if (io.now() - info.mtimeMs > leaseMs) return PENDING.test(rest) || LEGACY_LEFTOVER.test(rest);
  if (!PENDING.test(rest)) return false;
  // A waiter renews its pending file like a lock; one whose owner is certainly dead goes at once.
  const owner = parseOwner(await io.readFile(file, "utf8").catch(() => ""));
  return owner !== undefined && (await certainlyDead(owner));
}

/** Removes what writers killed mid-acquire or mid-break left next to the lock. */
export async function removeOrphans(io: LockIo, path: string, leaseMs: number): Promise<void> {
  const dir = dirname(path);
  const prefix = `${basename(path)}.`;
  for (const name of await io.readdir(dir)) {
    if (!name.startsWith(prefix)) continue;
    const file = join(dir, name);
    if (await abandoned(io, file, name.slice(prefix.length), leaseMs)) await io.unlink(file).catch(() => undefined);
  }
}
