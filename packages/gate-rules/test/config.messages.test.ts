// What a user reads for each bad field of gates.yaml: the field's path, the line it is
// on, and what to write instead. One row per message (issue 14: error texts are the
// behaviour here; scripts/mutation.sh gate-rules-config-schema and -load).
import { SESSION_OUTCOMES } from "@agent-canary/conventions";
import { describe, expect, it } from "vitest";
import { problems } from "./helpers/config-problems.js";
import { GATE_KINDS } from "../src/gates/kinds.js";
import { parseGatesConfig } from "../src/index.js";

const MAPPING = "must be a mapping of fields (one `name: value` per line)";
const LIST = 'must be a list ([a, b], or one "- item" per line)';
const ALPHA = "alpha is a false-alarm probability above 0 and below 0.5, e.g. 0.01";
const PASS_ALPHA = "passAlpha is the chance of passing a canary worse than the tolerance, above 0 and below 0.5, e.g. 0.05";
const PASS_BEFORE = "passBeforePercent is a canary percent above 0 and below 100, e.g. 25: the gate must pass before the canary gets more";
const MIN_SAMPLES = "minSamples must be a whole number of sessions per arm, e.g. 100";
const DURATION = 'write a Prometheus duration such as "30s", "5m", "2h" or "1d"';

/** A config with one gate of `kind` whose extra field is `field: value`, on line 4. */
const gateWith = (field: string, value: string, kind = "loop_rate") => `deployments: [a]\ngates:\n  - kind: ${kind}\n    ${field}: ${value}\n`;

/** The one problem a config is refused with, as [line, field, message]. */
function only(text: string): [number | undefined, string, string] {
  const found = problems(text);
  expect(found, JSON.stringify(found)).toHaveLength(1);
  const [p] = found;
  return [p?.line, p?.field ?? "", p?.message ?? ""];
}

describe("a gate's fields", () => {
  it.each([
    ["comparison", "both", "comparison must be ratio (canary / baseline) or delta (canary - baseline)"],
    ["threshold", "high", "threshold must be a number, e.g. 1.2 for a ratio or 0.01 for a delta"],
    ["threshold", "-0.1", "threshold is a tolerance, at least 0, e.g. 1.2 for a ratio or 0.01 for a delta"],
    ["minSamples", "many", MIN_SAMPLES],
    ["minSamples", "2.5", MIN_SAMPLES],
    ["minSamples", "0", "minSamples is at least 1 session per arm"],
    ["alpha", "low", ALPHA],
    ["alpha", "0", ALPHA],
    ["alpha", "0.5", ALPHA],
    ["passAlpha", "low", PASS_ALPHA],
    ["passAlpha", "0", PASS_ALPHA],
    ["passAlpha", "0.5", PASS_ALPHA],
    ["passBeforePercent", "half", PASS_BEFORE],
    ["passBeforePercent", "0", PASS_BEFORE],
    ["passBeforePercent", "100", PASS_BEFORE],
    ["for", "5 minutes", DURATION],
    ["action", "page", "action must be hold or rollback"],
    ["severity", "high", "severity must be one of critical, warning, info"],
    ["method", "bayes", "method must be always_valid or threshold_only"],
    ["rho", "big", "rho must be a positive number, e.g. 20"],
    ["rho", "0", "rho must be above 0, e.g. 20"],
    ["description", "[a, b]", "must be text, not a list"],
    ["name", "Cost Gate", "use lower-case letters, digits and '_' (it becomes the `gate` label), e.g. cost"],
    ["name", "7", "must be text, not the number 7"],
  ])("%s: %s is refused at its line with the fix", (field, value, message) => {
    expect(only(gateWith(field, value))).toEqual([4, `gates[0].${field}`, message]);
  });

  it("take each field at its bounds", () => {
    const config = parseGatesConfig(
      gateWith("name", "edge\n    threshold: 1.01\n    minSamples: 1\n    alpha: 0.004\n    passAlpha: 0.49\n    passBeforePercent: 99.5\n    rho: 0.1\n    for: 0s\n    severity: info\n    action: hold\n    method: always_valid\n    description: x"),
    );
    expect(config.gates.find((g) => g.name === "edge")).toMatchObject({ threshold: 1.01, minSamples: 1, alpha: 0.004, passAlpha: 0.49, passBeforePercent: 99.5, rho: 0.1, forSeconds: 0, severity: "info", action: "hold", method: "always_valid", description: "x" });
  });

  it("outcomes lists at least one outcome, each a text, and says which ones exist", () => {
    expect(only(gateWith("outcomes", "[]", "error_rate"))).toEqual([4, "gates[0].outcomes", `outcomes lists the session outcomes that count, e.g. [failed]; allowed: ${SESSION_OUTCOMES.join(", ")}`]);
    expect(only(gateWith("outcomes", "[1]", "error_rate"))).toEqual([4, "gates[0].outcomes[0]", "must be text, not the number 1"]);
    expect(only(gateWith("outcomes", "failed", "error_rate"))).toEqual([4, "gates[0].outcomes", 'must be a list ([a, b], or one "- item" per line), not the text "failed"']);
  });

  it("an unknown kind lists every kind; only a real old name is called renamed", () => {
    const all = `kind must be one of ${GATE_KINDS.join(", ")}`;
    expect(only("deployments: [a]\ngates:\n  - kind: cost\n")).toEqual([3, "gates[0].kind", all]);
    // Names every object has (toString, constructor) and a list are no old kind names.
    expect(only("deployments: [a]\ngates:\n  - kind: constructor\n")[2]).toBe(all);
    expect(only("deployments: [a]\ngates:\n  - kind: toString\n")[2]).toBe(all);
    expect(only("deployments: [a]\ngates:\n  - kind: [p95_turns]\n")[2]).toBe(all);
    expect(only("deployments: [a]\ngates:\n  - kind: p95_turns\n")[2]).toBe(
      "kind p95_turns was renamed turns_per_session: it tests the mean per session (a p95 has no variance the counters could give); write kind: turns_per_session",
    );
    expect(only("deployments: [a]\ngates:\n  - name: loops\n")).toEqual([3, "gates[0].kind", `kind is required, must be one of ${GATE_KINDS.join(", ")}`]);
  });

  it("a gate is a mapping and gates is a list", () => {
    expect(only("deployments: [a]\ngates:\n  - loop_rate\n")).toEqual([3, "gates[0]", `${MAPPING}, not the text "loop_rate"`]);
    expect(only("deployments: [a]\ngates:\n  -\n")).toEqual([3, "gates[0]", `${MAPPING}, not an empty value`]);
    expect(only("deployments: [a]\ngates:\n  kind: loop_rate\n")).toEqual([3, "gates", `${LIST}, not a mapping`]);
  });
});

describe("top-level fields", () => {
  it.each([
    ["export: prom", [2, "export", "export must be prometheus (exporter-prometheus /metrics) or otlp (OTLP into Prometheus)"]],
    ["preset: cautious", [2, "preset", "preset must be one of recommended, point-thresholds, early-ratio-rollback"]],
    ["preset: toString", [2, "preset", "preset must be one of recommended, point-thresholds, early-ratio-rollback"]],
    ["preset: [first-source]", [2, "preset", "preset must be one of recommended, point-thresholds, early-ratio-rollback"]],
    ["preset: first-source", [2, "preset", "preset first-source was renamed point-thresholds (the same gates, named for what they do); write preset: point-thresholds"]],
    ["alpha: 0", [2, "alpha", ALPHA]],
    ["alpha: 0.5", [2, "alpha", ALPHA]],
    ["alpha: much", [2, "alpha", ALPHA]],
    ["passAlpha: 0", [2, "passAlpha", PASS_ALPHA]],
    ["passAlpha: 0.5", [2, "passAlpha", PASS_ALPHA]],
    ["passAlpha: x", [2, "passAlpha", PASS_ALPHA]],
    ["lookback: 0d", [2, "lookback", 'must be longer than 0s, e.g. "1m" or "12h"']],
    ["rateRange: 5", [2, "rateRange", DURATION]],
    ["evaluationInterval: 1m30", [2, "evaluationInterval", DURATION]],
    ["matchers: 'namespace=\"prod\"'", [2, "matchers", 'matchers is a list such as [namespace="prod"]']],
    ["matchers: [5]", [2, "matchers[0]", 'a matcher is a string such as namespace="prod"']],
    ["by: cluster", [2, "by", "by is a list of label names such as [cluster]"]],
    ["by: [5]", [2, "by[0]", "a by label is a label name such as cluster"]],
    ["runbookBaseUrl: docs/runbook", [2, "runbookBaseUrl", "must be an absolute URL such as https://example.com/runbooks"]],
    ["grafanaDatasourceUid: ''", [2, "grafanaDatasourceUid", "must not be empty"]],
    ["rollout: {tier: extreme}", [2, "rollout.tier", "tier must be one of low, medium, high, critical"]],
    ["rollout: {stages: []}", [2, "rollout.stages", "must list at least 1 item"]],
    ["rollout: {stages: [{percent: 120, minDurationSeconds: 1, minSessionsPerArm: 1}]}", [2, "rollout.stages[0].percent", "must be at most 100"]],
    ["rollout: low", [2, "rollout", `${MAPPING}, not the text "low"`]],
    ["receiver: {url: receiver}", [2, "receiver.url", "receiver.url must be an absolute URL such as http://agent-canary-receiver:8080"]],
    ["receiver: {credentialsFile: ''}", [2, "receiver.credentialsFile", "must not be empty"]],
    ["alertmanager: {repeatInterval: daily}", [2, "alertmanager.repeatInterval", DURATION]],
    ["notifications: 3", [2, "notifications", `${MAPPING}, not the number 3`]],
    ["shadow: true", [2, "shadow", `${MAPPING}, not the boolean true`]],
    ["shadow: {minSimilarity: 0}", [2, "shadow.minSimilarity", "minSimilarity must be above 0, e.g. 0.9"]],
    ["shadow: {minSimilarity: 1.01}", [2, "shadow.minSimilarity", "minSimilarity is a similarity, at most 1, e.g. 0.9"]],
    ["shadow: {minSimilarity: high}", [2, "shadow.minSimilarity", "minSimilarity must be a number in (0, 1], e.g. 0.9"]],
    ["shadow: {minRequests: lots}", [2, "shadow.minRequests", "minRequests must be a whole number of requests, e.g. 5000"]],
    ["shadow: {minRequests: 10.5}", [2, "shadow.minRequests", "minRequests must be a whole number of requests, e.g. 5000"]],
    ["shadow: {minRequests: 0}", [2, "shadow.minRequests", "minRequests is at least 1 request"]],
    ["shadow: {window: 0s}", [2, "shadow.window", 'must be longer than 0s, e.g. "1m" or "12h"']],
  ] as const)("%s is refused at its line with the fix", (line, expected) => {
    expect(only(`deployments: [a]\n${line}\n`)).toEqual(expected);
  });

  it("a stage's missing, fractional and negative numbers are each named", () => {
    const found = problems("deployments: [a]\nrollout:\n  stages:\n    - percent: 5\n      minDurationSeconds: 1.5\n    - { percent: -1, minDurationSeconds: 0, minSessionsPerArm: 0 }\n");
    expect(found.map((p) => [p.line, p.field, p.message])).toEqual([
      [5, "rollout.stages[0].minDurationSeconds", "must be a whole number, not the number 1.5"],
      [4, "rollout.stages[0].minSessionsPerArm", "required: a number"],
      [6, "rollout.stages[1].percent", "must be at least 0"],
    ]);
  });

  it("deployments is required, a list, not empty, of valid names", () => {
    expect(only("export: otlp\n")).toEqual([1, "deployments", "required: list the deployments to gate, e.g. deployments: [support-agent]"]);
    expect(only("deployments: support-agent\n")).toEqual([1, "deployments", "must be a list of deployment names, e.g. [support-agent]"]);
    expect(only("deployments: []\n")).toEqual([1, "deployments", "list at least one deployment, e.g. deployments: [support-agent]"]);
    expect(only("deployments: [Support Agent]\n")).toEqual([1, "deployments[0]", "use 1-63 chars of a-z, 0-9, '.', '_', '-' starting with a letter or digit"]);
  });

  it("the document itself is a mapping", () => {
    expect(problems("- a\n- b\n")).toEqual([{ file: "gates.yaml", line: 1, field: "", message: `${MAPPING}, not a list` }]);
    expect(problems("just text\n")[0]?.message).toBe(`${MAPPING}, not the text "just text"`);
  });
});

describe("defaults", () => {
  it("a config of one line takes every documented default", () => {
    const config = parseGatesConfig("deployments: [a]\n");
    expect(config).toMatchObject({
      export: "prometheus",
      evaluationInterval: "1m",
      preset: "recommended",
      alpha: 0.01,
      passAlpha: 0.05,
      lookback: "7d",
      rateRange: "5m",
      rollout: { tier: "medium" },
      receiver: { url: "http://127.0.0.1:8080", credentialsFile: "/etc/alertmanager/agent-canary-receiver-token" },
      alertmanager: { groupWait: "0s", groupInterval: "30s", repeatInterval: "1h" },
      runbookBaseUrl: "https://github.com/agent-canary/agent-canary/blob/main/packages/gate-rules/RUNBOOK.md",
      grafanaDatasourceUid: "prometheus",
      shadow: undefined,
    });
    expect(config.gates.every((g) => g.passAlpha === 0.05)).toBe(true);
  });

  it("a default written out is taken as written", () => {
    const config = parseGatesConfig("deployments: [a]\nexport: prometheus\npreset: recommended\nrollout: {tier: medium}\ngates:\n  - kind: loop_rate\n    name: l2\n    severity: critical\n");
    expect(config).toMatchObject({ export: "prometheus", preset: "recommended", rollout: { tier: "medium" } });
    expect(config.gates.at(-1)?.severity).toBe("critical");
  });

  it("a section given in part keeps the defaults of the fields left out", () => {
    const config = parseGatesConfig("deployments: [a]\nreceiver: {url: 'http://r:9'}\nalertmanager: {groupWait: 10s}\nshadow: {minRequests: 10}\nrollout: {tier: critical}\n");
    expect(config.receiver).toEqual({ url: "http://r:9", credentialsFile: "/etc/alertmanager/agent-canary-receiver-token" });
    expect(config.alertmanager).toEqual({ groupWait: "10s", groupInterval: "30s", repeatInterval: "1h" });
    expect(config.shadow).toEqual({ minSimilarity: 0.9, minRequests: 10, window: "7d" });
    expect(config.rollout.tier).toBe("critical");
  });
});
