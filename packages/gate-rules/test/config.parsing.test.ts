// Reading gates.yaml: the line a problem is reported at, syntax errors, files on disk,
// durations and environment labels, edge by edge (issue 14; scripts/mutation.sh
// gate-rules-config-load).
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { problems } from "./helpers/config-problems.js";
import { durationSeconds } from "../src/config/duration.js";
import { RESERVED_LABELS } from "../src/config/environment.js";
import { GatesConfigError, loadGatesConfig, parseGatesConfig } from "../src/index.js";

describe("lines", () => {
  it("a missing field is reported at its parent's line, even when the file starts with comments", () => {
    expect(problems("# gates for the support agent\n\nexport: otlp\n").map((p) => [p.line, p.field])).toEqual([[3, "deployments"]]);
    expect(problems("deployments: [a]\ngates:\n  - name: loops\n").map((p) => [p.line, p.field])).toEqual([[3, "gates[0].kind"]]);
  });

  it("a document that is not a mapping is reported where it starts", () => {
    expect(problems("\n\n- a\n").map((p) => [p.line, p.field])).toEqual([[3, ""]]);
  });

  it("text parsed without a file name is reported as gates.yaml", () => {
    expect(() => parseGatesConfig("deployments: [a]\nalpha: 1\n")).toThrow(/^gates\.yaml:2: alpha: alpha is a false-alarm probability/);
  });

  it("a removed field's hint is given only where it was a field: a gate's window, not a section's", () => {
    expect(problems("deployments: [a]\nreceiver:\n  window: 1h\n")).toEqual([
      { file: "gates.yaml", line: 3, field: "receiver.window", message: "unknown field window; check the spelling against the config reference in README.md" },
    ]);
    expect(problems("deployments: [a]\nrollout:\n  stages:\n    - { percent: 100, minDurationSeconds: 0, minSessionsPerArm: 0 }\nshadow: {window: 1h, horizon: 1d}\n")[0]?.message).toMatch(/^unknown field horizon;/);
  });

  it("an unknown key named like an object's own method is an unknown field, not a removed one", () => {
    expect(problems("deployments: [a]\ntoString: 1\n")).toEqual([
      { file: "gates.yaml", line: 2, field: "toString", message: "unknown field toString; check the spelling against the config reference in README.md" },
    ]);
    expect(problems("deployments: [a]\ngates:\n  - kind: loop_rate\n    constructor: 1\n")[0]?.message).toBe(
      "unknown field constructor; check the spelling against the config reference in README.md",
    );
  });

  it("a syntax error deep in the file names its line and drops the parser's line and column", () => {
    const [p, ...rest] = problems(`deployments: [a]\n${"\n".repeat(10)}alpha: [0.1,\n  0.2\nrateRange: 5m\n`);
    expect(rest).toEqual([]);
    expect(p).toEqual({
      file: "gates.yaml",
      line: 14,
      field: "",
      message:
        'not valid YAML/JSON: Flow sequence in block collection must be sufficiently indented and end with a ]; fix the syntax on this line (gates.yaml is a YAML mapping such as "deployments: [support-agent]")',
    });
    // Past column 9 too, and in JSON.
    expect(problems("deployments: [a, b, c, d, e]]\n")).toEqual([
      { file: "gates.yaml", line: 1, field: "", message: 'not valid YAML/JSON: Unexpected flow-seq-end token in YAML stream: "]"; fix the syntax on this line (gates.yaml is a YAML mapping such as "deployments: [support-agent]")' },
    ]);
    expect(problems('{"deployments": ["a"], "alpha": 0.01,, }', "gates.json")[0]?.message).toMatch(/^not valid YAML\/JSON: Unexpected , in flow map; fix/);
    expect(problems("deployments: [a]\n  bad: indent\n")[0]).toMatchObject({ line: 2, message: expect.stringMatching(/^not valid YAML\/JSON: All mapping items must start at the same column; fix/) });
  });
});

describe("files", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "gates-config-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("a config file on disk is read, and its problems name that file", async () => {
    const good = join(dir, "gates.yaml");
    await writeFile(good, "deployments: [support-agent]\nexport: otlp\ngates:\n  - kind: loop_rate\n    name: loops_b\n    description: coût ≥ 5 ✓ naïve\n");
    const config = await loadGatesConfig(good);
    expect(config).toMatchObject({ deployments: ["support-agent"], export: "otlp" });
    // Read as UTF-8 text, not bytes.
    expect(config.gates.at(-1)?.description).toBe("coût ≥ 5 ✓ naïve");
    const bad = join(dir, "bad.yaml");
    await writeFile(bad, "deployments: [a]\nalpha: 2\n");
    const error = await loadGatesConfig(bad).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatesConfigError);
    expect((error as GatesConfigError).message).toBe(`${bad}:2: alpha: alpha is a false-alarm probability above 0 and below 0.5, e.g. 0.01`);
  });
});

describe("durations", () => {
  it("are whole units only, nothing before or after", () => {
    for (const text of [" 5m", "x5m", "5m ", "5", "5M", "1.5h", ""]) expect(() => durationSeconds(text), text).toThrow(`"${text}" is not a duration`);
    expect(durationSeconds("15m")).toBe(900);
    expect(durationSeconds("10s250ms")).toBe(10.25);
    expect(parseGatesConfig("deployments: [a]\nevaluationInterval: 90s\nrateRange: 10m\n")).toMatchObject({ evaluationSeconds: 90, rateRangeSeconds: 600 });
  });
});

describe("environment labels", () => {
  it("every label agent-canary sets is refused as a by label and in a matcher", () => {
    const by = problems(`deployments: [a]\nby: [${RESERVED_LABELS.join(", ")}]\n`);
    expect(by.map((p) => p.message)).toEqual(RESERVED_LABELS.map((l) => `"${l}" is a label agent-canary sets itself; choose an environment label such as cluster, namespace or job`));
    expect(RESERVED_LABELS).toEqual(["deployment", "version_group", "version_hash", "rollout_id", "canary_percent", "assignment", "outcome", "quantity", "gate", "le", "alertname"]);
    expect(problems('deployments: [a]\nmatchers: [\'gate!="cost"\']\n')[0]?.message).toMatch(/^"gate" is a label agent-canary sets itself/);
  });

  it("label names are letters, digits and _, not starting with a digit, nothing around them", () => {
    expect(parseGatesConfig("deployments: [a]\nby: [Cluster, _zone2, a]\n").environment.by).toEqual(["Cluster", "_zone2", "a"]);
    const found = problems("deployments: [a]\nby: [cluster-1, ' cluster', 1a, '']\n");
    expect(found.map((p) => p.field)).toEqual(["by[0]", "by[1]", "by[2]", "by[3]"]);
    // __ marks Prometheus-internal labels only at the start.
    expect(parseGatesConfig("deployments: [a]\nby: [zone__]\n").environment.by).toEqual(["zone__"]);
  });

  it("matchers take no spaces or spaces around the operator, an empty value and escapes, and nothing else", () => {
    const written = ['a="b"', 'Job = ""', String.raw`_x!~"\d+"`, String.raw`zone="say \"hi\""`];
    const config = parseGatesConfig(`deployments: [a]\nmatchers:\n${written.map((m) => `  - '${m}'\n`).join("")}`);
    expect(config.environment.matchers).toEqual(written);
    for (const bad of ['a="b" x', 'x a="b"', '1a="b"', 'a="b', 'a=="b"', 'a~"b"', 'a="b"c"', "a='b'"]) {
      const [p] = problems(`deployments: [a]\nmatchers: [${JSON.stringify(bad)}]\n`);
      expect(p?.message, bad).toBe(`"${bad}" is not a label matcher; write name="value", name!="value", name=~"regex" or name!~"regex", e.g. namespace="prod"`);
    }
  });
});
