import { appendFile, mkdir } from "node:fs/promises";
import { dirname } from "node:path";

/**
 * Appends one JSON document per line. Writes are chained so lines never
 * interleave, and each is one append so a crash loses at most the last line.
 */
export class JsonlAppender {
  private tail: Promise<void>;

  constructor(readonly path: string) {
    this.tail = mkdir(dirname(path), { recursive: true }).then(() => undefined);
  }

  append(value: unknown): Promise<void> {
    const line = `${JSON.stringify(value)}\n`;
    const write = this.tail.then(() => appendFile(this.path, line, "utf8"));
    // The chain survives a failed write; the caller of this append sees the error.
    this.tail = write.catch(() => undefined);
    return write;
  }

  /** Resolves when every append so far has been written. */
  flush(): Promise<void> {
    return this.tail;
  }
}
