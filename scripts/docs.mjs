// Regenerates the parts of the READMEs that come from code (the metrics table, the CLI reference,
// the instrumentation's environment variables). Run after changing them; a test fails while a copy is stale.
import { readFileSync, writeFileSync } from "node:fs";
import { cliReference } from "@agent-canary/cli";
import { exitCodesTable } from "@agent-canary/conventions/cli";
import { metricsReferenceTable } from "@agent-canary/conventions";
import { envVarsTable } from "@agent-canary/instrumentation";

/** Replaces each `<!-- name:start -->...<!-- name:end -->` section of a README with its generated text. */
function regenerate(path, sections, what) {
  const file = new URL(`../${path}`, import.meta.url);
  let text = readFileSync(file, "utf8");
  for (const [name, generated] of Object.entries(sections)) {
    const section = new RegExp(`<!-- ${name}:start -->[\\s\\S]*<!-- ${name}:end -->`);
    if (!section.test(text)) throw new Error(`${path} has no <!-- ${name}:start --> ... <!-- ${name}:end --> markers`);
    text = text.replace(section, () => `<!-- ${name}:start -->\n${generated}\n<!-- ${name}:end -->`);
  }
  writeFileSync(file, text);
  console.log(`${path} ${what} regenerated`);
}

regenerate("README.md", { metrics: metricsReferenceTable() }, "metrics table");
// The CLI's command reference, from the commands' own --help.
regenerate("packages/cli/README.md", { commands: await cliReference(), "exit-codes": exitCodesTable() }, "command reference");
// The preload's AGENT_CANARY_* variables, from ENV_VARS.
regenerate("packages/instrumentation/README.md", { env: envVarsTable() }, "environment variables");
