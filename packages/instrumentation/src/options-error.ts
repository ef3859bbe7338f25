import type { z } from "zod";

/** Invalid options: the message names each bad field and what to do about it. */
export class OptionsError extends Error {
  override readonly name = "OptionsError";
  constructor(
    readonly source: string,
    readonly issues: readonly { path: string; message: string }[],
  ) {
    super(`invalid ${source}:\n${issues.map((i) => `  - ${i.path || "(root)"}: ${i.message}`).join("\n")}`);
  }

  static fromZod(source: string, error: z.ZodError, prefix = ""): OptionsError {
    return new OptionsError(
      source,
      error.issues.map((issue) => ({
        path: [prefix, ...issue.path.map(String)].filter(Boolean).join("."),
        message: issue.message,
      })),
    );
  }
}
