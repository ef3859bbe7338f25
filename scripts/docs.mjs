// Regenerates the parts of README.md that come from code (the metrics table).
// Run after changing packages/conventions; a test fails while README is stale.
import { readFileSync, writeFileSync } from "node:fs";
import { metricsReferenceTable } from "@agent-canary/conventions";

const file = new URL("../README.md", import.meta.url);
const readme = readFileSync(file, "utf8");
const pattern = /<!-- metrics:start -->[\s\S]*<!-- metrics:end -->/;
if (!pattern.test(readme)) throw new Error("README.md has no <!-- metrics:start --> ... <!-- metrics:end --> markers");
writeFileSync(file, readme.replace(pattern, `<!-- metrics:start -->\n${metricsReferenceTable()}\n<!-- metrics:end -->`));
console.log("README.md metrics table regenerated");
