import { randomBytes } from "node:crypto";
import { readFileSync, readlinkSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { hostname } from "node:os";
import { z } from "zod";

/**
 * Who holds a lock, precisely enough to tell a dead holder from a live one without
 * guessing. A pid alone is not enough: a receiver in a container and the CLI on the host
 * see different pids for the same process (PID namespaces), and a receiver restarted as
 * PID 1 in a new container has the dead holder's pid. A process is identified by its
 * kernel boot, its PID namespace, its pid and its start time (clock ticks since boot,
 * /proc/<pid>/stat field 22): a reused pid has another start time. Where any of these is
 * unknown or differs from ours (another host, another container's namespace, no /proc),
 * the pid cannot be checked and only the lease decides (see lock.ts).
 */
export const LockOwnerSchema = z.object({
  v: z.literal(2),
  /** Random per lock attempt: tells our own lock from any other. */
  token: z.string().regex(/^[0-9a-f]{16,64}$/),
  host: z.string(),
  /** /proc/sys/kernel/random/boot_id; null where there is no /proc. */
  boot: z.string().nullable(),
  /** The PID namespace, as /proc/self/ns/pid names it ("pid:[4026531836]"); null where unknown. */
  pidns: z.string().nullable(),
  pid: z.number().int().positive(),
  /** Start time of `pid` in clock ticks since boot; null where unknown. */
  start: z.string().nullable(),
});
export type LockOwner = z.infer<typeof LockOwnerSchema>;

function readOr(read: () => string): string | null {
  try {
    return read().trim();
  } catch {
    return null;
  }
}

/** Field 22 of /proc/<pid>/stat. The command name (field 2) may hold spaces and ')', so parse after its last ')'. */
export function startTimeFromStat(stat: string): string | null {
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return fields[19] ?? null;
}

interface ProcessIdentity {
  host: string;
  boot: string | null;
  pidns: string | null;
  pid: number;
  start: string | null;
}

let self: ProcessIdentity | undefined;

/** This process, read once (none of it changes while the process lives). */
export function selfIdentity(): ProcessIdentity {
  self ??= {
    host: hostname(),
    boot: readOr(() => readFileSync("/proc/sys/kernel/random/boot_id", "utf8")),
    pidns: readOr(() => readlinkSync("/proc/self/ns/pid")),
    pid: process.pid,
    start: readOr(() => startTimeFromStat(readFileSync("/proc/self/stat", "utf8")) ?? "") || null,
  };
  return self;
}

export function newOwner(): LockOwner {
  return { v: 2, token: randomBytes(12).toString("hex"), ...selfIdentity() };
}

export function parseOwner(content: string): LockOwner | undefined {
  try {
    const parsed = LockOwnerSchema.safeParse(JSON.parse(content));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * True only when the holder is certainly gone: it ran in our kernel boot and our PID
 * namespace, and its pid now names no process or a process that started at another time.
 * False means alive or unknown; the caller then waits for the lease to run out.
 */
export async function certainlyDead(owner: LockOwner): Promise<boolean> {
  const me = selfIdentity();
  if (owner.boot === null || owner.pidns === null || owner.start === null) return false;
  if (owner.boot !== me.boot || owner.pidns !== me.pidns) return false;
  let stat: string;
  try {
    stat = await readFile(`/proc/${owner.pid}/stat`, "utf8");
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ENOENT";
  }
  return startTimeFromStat(stat) !== owner.start;
}
