import { constants } from "node:fs";
import { open, rename, unlink, type FileHandle } from "node:fs/promises";

/** Opens, runs `body`, fsyncs and closes, even when `body` throws. */
async function withSyncedHandle(path: string, flags: string, body: (handle: FileHandle) => Promise<void>): Promise<void> {
  const handle = await open(path, flags);
  try {
    await body(handle);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** fsync a directory so a rename or a file creation inside it survives power loss. */
export function fsyncDirectory(dir: string): Promise<void> {
  return withSyncedHandle(dir, "r", async () => undefined);
}

/**
 * Writes and fsyncs a new file. A failed write (a full disk) removes the file again, so
 * no empty or partial staged file is left behind.
 */
export async function writeFileSynced(path: string, data: string): Promise<void> {
  try {
    await withSyncedHandle(path, "wx", (handle) => handle.writeFile(data));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") await unlink(path).catch(() => undefined);
    throw error;
  }
}

/**
 * Reads a file the store owns, refusing to follow a symbolic link: a state file replaced by
 * a link to another file would otherwise be read (and its bytes quoted in parse errors).
 * Undefined when it does not exist.
 */
export async function readOwnFile(path: string): Promise<string | undefined> {
  return withOwnFile(path, (handle) => handle.readFile("utf8"));
}

/** Opens a file the store owns for reading (never through a symlink) and runs `body`; undefined when it does not exist. */
async function withOwnFile<T>(path: string, body: (handle: FileHandle) => Promise<T | undefined>): Promise<T | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  try {
    return await body(handle);
  } finally {
    await handle.close();
  }
}

/** Appends and fsyncs. The caller holds the write lock, so appends never interleave. */
export function appendSynced(path: string, data: string): Promise<void> {
  return withSyncedHandle(path, "a", (handle) => handle.appendFile(data));
}

/** rename(2) replaces the target atomically; the directory fsync makes the new name durable. */
export async function renameSynced(from: string, to: string, dir: string): Promise<void> {
  await rename(from, to);
  await fsyncDirectory(dir);
}

/**
 * A writer killed mid-append leaves a last line without its newline. Such a line was
 * never acknowledged, so it is cut off before the next append (or ignored on read).
 */
export async function truncateTornTail(path: string): Promise<void> {
  let handle;
  try {
    handle = await open(path, "r+");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  try {
    const { size } = await handle.stat();
    if (size === 0) return;
    const chunk = Buffer.alloc(Math.min(size, 1 << 16));
    let end = size;
    // Walk back chunk by chunk to the last newline.
    while (end > 0) {
      const start = Math.max(0, end - chunk.length);
      const { bytesRead } = await handle.read(chunk, 0, end - start, start);
      const newline = chunk.subarray(0, bytesRead).lastIndexOf(0x0a);
      if (newline >= 0) {
        const keep = start + newline + 1;
        if (keep !== size) {
          await handle.truncate(keep);
          await handle.sync();
        }
        return;
      }
      end = start;
    }
    await handle.truncate(0);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * The last complete line of a file, or undefined if there is none. A torn tail after it
 * (no newline) is skipped however long it is, as the short ones are.
 */
export async function readLastLine(path: string): Promise<string | undefined> {
  return withOwnFile(path, async (handle) => {
    const { size } = await handle.stat();
    if (size === 0) return undefined;
    let readSize = Math.min(size, 1 << 14);
    for (;;) {
      const buffer = Buffer.alloc(readSize);
      const { bytesRead } = await handle.read(buffer, 0, readSize, size - readSize);
      const text = buffer.subarray(0, bytesRead).toString("utf8");
      const lastNewline = text.lastIndexOf("\n");
      // lastIndexOf("\n", -1) would find the newline at index 0 again: a newline at the
      // window's first byte has no line start inside the window.
      const previous = lastNewline <= 0 ? -1 : text.lastIndexOf("\n", lastNewline - 1);
      // The whole file was read, or the window holds a line with a newline on each side.
      if (readSize === size) return lastNewline < 0 ? undefined : text.slice(previous + 1, lastNewline);
      if (previous >= 0) return text.slice(previous + 1, lastNewline);
      readSize = Math.min(size, readSize * 4);
    }
  });
}
