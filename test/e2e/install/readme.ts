import { readFileSync } from "node:fs";

const README = new URL("../../../README.md", import.meta.url);

/** The body of the first ```lang block of the README section with this heading. */
function sectionBlock(heading: string, lang: string): string {
  const section = readFileSync(README, "utf8").split(/^## /m).find((s) => s.startsWith(`${heading}\n`));
  const block = section && new RegExp("```" + lang + "\\n([\\s\\S]*?)```").exec(section)?.[1];
  if (!block) throw new Error(`README.md has no "## ${heading}" section with a \`\`\`${lang} block`);
  return block;
}

/** The commands of the README's install section, comments dropped, in order. */
export function readmeInstallCommands(): string[] {
  return sectionBlock("Install", "sh")
    .split("\n")
    .map((line) => line.replace(/\s+#.*$/, "").trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
}

/** The gates.yaml the README's walkthrough shows. */
export function readmeGatesYaml(): string {
  const block = /```yaml\n(# gates\.yaml[\s\S]*?)```/.exec(readFileSync(README, "utf8"))?.[1];
  if (!block) throw new Error("README.md has no ```yaml block starting with # gates.yaml");
  return block;
}
