/** Something text can be written to: process.stdout, a PassThrough, or a test's collector. */
export interface TextSink {
  write(text: string): unknown;
}

/**
 * Where a command writes and what it reads from the environment. Commands take
 * one of these rather than touching `process`, so tests pass their own.
 */
export interface CliIo {
  /** Results: what a script reads (with --json, one JSON document). */
  readonly stdout: TextSink;
  /** Progress, warnings and notes for the person at the terminal. */
  readonly stderr: TextSink;
  readonly env: Readonly<Record<string, string | undefined>>;
}

export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env };
}

/** The process's io with some parts replaced (a test's stdout, an env without AGENT_CANARY_STORE). */
export function cliIo(overrides: Partial<CliIo> = {}): CliIo {
  return { ...processIo(), ...overrides };
}

/**
 * What a command prints: with --json one JSON document on stdout (for scripts),
 * else the lines a person reads. Every command with --json goes through here,
 * so --json means the same everywhere.
 */
export function emit(io: CliIo, json: boolean | undefined, value: unknown, text: () => readonly string[]): void {
  if (json) {
    io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    return;
  }
  for (const line of text()) io.stdout.write(`${line}\n`);
}
