import type { UserErrorClass } from "@agent-canary/conventions/cli";
import { ShadowOptionsError } from "../execution/options.js";
import { JsonlLineError } from "../record/jsonl-reader.js";

/** Shadow mode's own errors about what the user gave (a bad JSONL line, options the agent module exports): one line, exit 1. */
export const SHADOW_USER_ERRORS: readonly UserErrorClass[] = [JsonlLineError, ShadowOptionsError];
