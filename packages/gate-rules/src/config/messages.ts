import { fieldMessage } from "@agent-canary/conventions";
import type { z } from "zod";

/**
 * The message for a config field whose schema gives none of its own: the shared wording
 * for types, missing fields and sizes, plus the URLs (the only format check in the config
 * without a message of its own). Passed to safeParse, so any message a schema sets still wins.
 */
export const configErrorMap: z.core.$ZodErrorMap = (issue) => {
  if (issue.code === "invalid_format" && issue.format === "url") return "must be an absolute URL such as https://example.com/runbooks";
  return fieldMessage(issue);
};
