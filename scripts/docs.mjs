// Regenerates the parts of the READMEs that come from code (the metrics table, the CLI reference).
// Run after changing packages/conventions; a test fails while README is stale.
import { readFileSync, writeFileSync } from "node:fs";
import { cliReference } from "@agent-canary/cli";
import { exitCodesTable } from "@agent-canary/conventions/cli";
import { metricsReferenceTable } from "@agent-canary/conventions";

const file = new URL("../README.md", import.meta.url);
const readme = readFileSync(file, "utf8");
const pattern = /<!-- metrics:start -->[\s\S]*<!-- metrics:end -->/;
if (!pattern.test(readme)) throw new Error("README.md has no <!-- metrics:start --> ... <!-- metrics:end --> markers");
writeFileSync(file, readme.replace(pattern, `<!-- metrics:start -->\n${metricsReferenceTable()}\n<!-- metrics:end -->`));
console.log("README.md metrics table regenerated");

// The CLI's command reference, from the commands' own --help.
const cliFile = new URL("../packages/cli/README.md", import.meta.url);
const cliReadme = readFileSync(cliFile, "utf8");
const commands = /<!-- commands:start -->[\s\S]*<!-- commands:end -->/;
if (!commands.test(cliReadme)) throw new Error("packages/cli/README.md has no <!-- commands:start --> ... <!-- commands:end --> markers");
const exitCodes = /<!-- exit-codes:start -->[\s\S]*<!-- exit-codes:end -->/;
if (!exitCodes.test(cliReadme)) throw new Error("packages/cli/README.md has no <!-- exit-codes:start --> ... <!-- exit-codes:end --> markers");
writeFileSync(
  cliFile,
  cliReadme
    .replace(commands, `<!-- commands:start -->\n${await cliReference()}\n<!-- commands:end -->`)
    .replace(exitCodes, `<!-- exit-codes:start -->\n${exitCodesTable()}\n<!-- exit-codes:end -->`),
);
console.log("packages/cli/README.md command reference regenerated");
