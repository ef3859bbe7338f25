import { ENV_VARS } from "./env.js";

/**
 * The AGENT_CANARY_* variables as a Markdown table, generated from ENV_VARS so the
 * README cannot list a variable the preload does not read, or miss one it does
 * (`pnpm -s docs` writes it; a test fails while the committed copy is stale).
 */
export function envVarsTable(): string {
  const rows = Object.entries(ENV_VARS).map(([name, meaning]) => `| \`${name}\` | ${meaning.replaceAll("|", "\\|")} |`);
  return ["| variable | meaning |", "| --- | --- |", ...rows].join("\n");
}
