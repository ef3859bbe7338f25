import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { DEFAULT_RUNBOOK_URL, GATE_KINDS, generateRuleFiles, parseGatesConfig, RULE_FILES } from "../src/index.js";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function anchorsOf(markdown: string): Set<string> {
  const headings = markdown.split("\n").filter((line) => /^#{1,6} /.test(line));
  return new Set(headings.map((h) => h.replace(/^#+ /, "").trim().toLowerCase().replace(/[^\w\- ]/g, "").replace(/ /g, "-")));
}

/** Every runbook_url annotation anywhere in a parsed YAML document. */
function runbookUrls(node: unknown): string[] {
  if (Array.isArray(node)) return node.flatMap(runbookUrls);
  if (node === null || typeof node !== "object") return [];
  return Object.entries(node).flatMap(([key, value]) => (key === "runbook_url" && typeof value === "string" ? [value] : runbookUrls(value)));
}

/** Every gate kind, a judge gate and the shadow gate: all the alerts the generator can write. */
const EVERY_ALERT = `deployments: [a]
gates:
${GATE_KINDS.map((kind) => `  - kind: ${kind}\n    name: g_${kind}`).join("\n")}
shadow: {}
`;

/**
 * The runbook_url of every alert generated from a config, Prometheus and Grafana. Called inside the
 * tests, not at module load: a generation failure then fails a test (not the file), and mutation
 * testing can see which test reaches which generator code.
 */
function generatedRunbookUrls(yaml: string): string[] {
  const files = generateRuleFiles(parseGatesConfig(yaml));
  return [RULE_FILES.alerts, RULE_FILES.grafana].flatMap((path) => {
    const file = files.find((f) => f.path === path);
    if (!file) throw new Error(`no ${path} was generated`);
    return runbookUrls(parse(file.content));
  });
}

describe("runbook links", () => {
  it("default to a file of this repository, shipped in the package", () => {
    const match = /^https:\/\/github\.com\/agent-canary\/agent-canary\/blob\/main\/(.+)$/.exec(DEFAULT_RUNBOOK_URL);
    expect(match?.[1]).toBe("packages/gate-rules/RUNBOOK.md");
    const pkg = JSON.parse(readFileSync(`${repoRoot}packages/gate-rules/package.json`, "utf8")) as { files: string[] };
    expect(pkg.files).toContain("RUNBOOK.md");
  });

  it("point every alert, Prometheus and Grafana, at a section that exists in RUNBOOK.md", () => {
    const anchors = anchorsOf(readFileSync(`${repoRoot}packages/gate-rules/RUNBOOK.md`, "utf8"));
    // A gate failure per kind (Prometheus and Grafana), the blind and not-comparable alerts, the shadow hold.
    const distinct = new Set(generatedRunbookUrls(EVERY_ALERT));
    expect(distinct.size).toBe(GATE_KINDS.length + 3);
    for (const url of distinct) {
      const [base, anchor] = url.split("#");
      expect(base, url).toBe(DEFAULT_RUNBOOK_URL);
      expect(anchors, `${url}: add a "### ${anchor}" section to RUNBOOK.md`).toContain(anchor);
    }
  });

  it("follow runbookBaseUrl when a team has its own runbook, Prometheus and Grafana alike", () => {
    const ownUrls = generatedRunbookUrls(`${EVERY_ALERT}runbookBaseUrl: https://wiki.example.com/agent-canary\n`);
    // As many as with the default runbook: every alert, none left on the default.
    expect(ownUrls).toHaveLength(generatedRunbookUrls(EVERY_ALERT).length);
    expect(ownUrls.filter((u) => !u.startsWith("https://wiki.example.com/agent-canary#"))).toEqual([]);
  });
});
