import type { VersionSpec } from "@agent-canary/conventions";

const tools = [
  { name: "lookup_order", description: "Find an order by id", parameters: { type: "object", properties: { orderId: { type: "string" } } } },
  { name: "search_kb", description: "Search the help center", parameters: { type: "object", properties: { query: { type: "string" } } } },
];

export const BASELINE: VersionSpec = { model: "gpt-4o-mini", systemPrompt: "You are a support agent.", tools, params: { temperature: 0.2 } };
export const CANARY: VersionSpec = { model: "gpt-4.1-mini", systemPrompt: "You are a concise support agent.", tools, params: { temperature: 0.2 } };
