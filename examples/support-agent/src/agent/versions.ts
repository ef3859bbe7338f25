import type { VersionSpec } from "@agent-canary/conventions";
import { TOOL_DEFINITIONS } from "./tools.js";

const tools = TOOL_DEFINITIONS.map((t) => ({ name: t.name, description: t.description, parameters: t.parameters }));

/** The version in production. */
export const BASELINE_VERSION: VersionSpec = {
  model: "gpt-4o-mini",
  systemPrompt: "You are a support agent for an online shop. Use the tools to look up facts; never guess an order status or amount.",
  tools,
  params: { temperature: 0.2 },
  label: "support v41",
};

/** The candidate: a model swap and a shorter prompt; same tools and params. */
export const CANARY_VERSION: VersionSpec = {
  ...BASELINE_VERSION,
  model: "gpt-4.1-mini",
  systemPrompt: "You are a concise support agent for an online shop. Use the tools; never guess.",
  label: "support v42",
};
