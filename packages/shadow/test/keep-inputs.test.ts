import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createShadow, ShadowOptionsError, type AgentAnswer, type AgentFn, type ComparisonRecord, type ShadowLogger, type Toolset } from "../src/index.js";
import { runShadowCli } from "./support/cli.js";
import { installTelemetry } from "./support/telemetry.js";

const telemetry = installTelemetry();
afterAll(() => telemetry.shutdown());

const PRODUCTION = "aaaaaaaaaaaaaaaa";
const CANDIDATE = "bbbbbbbbbbbbbbbb";
/** Every piece of user data in this test carries this mark; none may be recorded with keepInputs: false. */
const MARK = "SECRET";

interface Ticket {
  readonly kind: "refund" | "tool-error" | "agent-error" | "bad-answer" | "timeout";
  readonly card: string;
}

const tools: Toolset = {
  lookup_card: {
    kind: "read",
    key: (args) => `card:${(args as { card: string }).card}`,
    execute: (args) => {
      const { card } = args as { card: string };
      if (card.includes("broken")) throw new Error(`no card ${card} (${MARK}-TOOL-ERROR)`);
      return { card, holder: `${MARK}-HOLDER` };
    },
  },
  refund: { kind: "write", key: (args) => `card:${(args as { card: string }).card}`, execute: () => ({ ok: true }), dryRun: () => ({ ok: true }) },
};

const agent =
  (amount: number): AgentFn<Ticket> =>
  async (ticket, ctx) => {
    if (ticket.kind === "agent-error" && ctx.role === "candidate") throw new Error(`cannot handle ${ticket.card} (${MARK}-AGENT-ERROR)`);
    if (ticket.kind === "timeout" && ctx.role === "candidate") return new Promise<string>(() => undefined);
    if (ticket.kind === "bad-answer" && ctx.role === "candidate") return { output: `${MARK}-OUTPUT`, outcome: "exploded" } as never;
    await ctx.callTool("refund", { card: ticket.card, amount });
    const card = await ctx.callTool("lookup_card", { card: ticket.card }).catch(() => null);
    return `${MARK}-OUTPUT for ${JSON.stringify(card)} (${ctx.role})`;
  };

async function shadowTickets(keepInputs: boolean) {
  const comparisonsFile = join(await mkdtemp(join(tmpdir(), "shadow-keep-inputs-")), "comparisons.jsonl");
  const logged: string[] = [];
  const logger: ShadowLogger = { info: (m, f) => logged.push(`${m} ${JSON.stringify(f)}`), warn: (m, f) => logged.push(`${m} ${JSON.stringify(f)}`) };
  const shadow = createShadow<Ticket, AgentAnswer | string>({
    deployment: keepInputs ? "keep" : "withhold",
    production: { run: agent(10), version: PRODUCTION },
    candidate: { run: agent(20), version: CANDIDATE },
    tools,
    keepInputs,
    comparisonsFile,
    maxConcurrentCandidates: 8,
    candidateTimeoutMs: 50,
    candidateAbandonAfterMs: 10,
    compare: { judge: async () => ({ verdict: "production_better", reason: `${MARK}-REASON quoting the answers` }), judgeSampleRate: 1 },
    logger,
  });
  const events: unknown[] = [];
  for (const name of ["production_answered", "candidate_finished", "comparison", "failure"] as const) shadow.on(name, (e: unknown) => events.push(e));
  const kinds: Ticket["kind"][] = ["refund", "tool-error", "agent-error", "bad-answer", "timeout"];
  for (const kind of kinds) await shadow.run({ kind, card: `${MARK}-CARD-${kind === "tool-error" ? "broken" : "4242"}` }, { requestId: `t-${kind}` });
  await shadow.close();
  const file = await readFile(comparisonsFile, "utf8");
  const spans = telemetry.spans
    .getFinishedSpans()
    .filter((s) => s.attributes["agent_canary.deployment"] === (keepInputs ? "keep" : "withhold") || s.attributes["deployment"] === (keepInputs ? "keep" : "withhold"));
  const spanText = JSON.stringify(spans.map((s) => ({ name: s.name, attributes: s.attributes, status: s.status, events: s.events, links: s.links })));
  return { comparisonsFile, file, logged: logged.join("\n"), events: JSON.stringify(events), spanText, spans: spans.length };
}

describe("keepInputs: false", () => {
  it("records no input, tool argument, output, judge reason or foreign error message in the file, events, spans or logs", async () => {
    const withheld = await shadowTickets(false);
    expect(withheld.spans).toBeGreaterThan(0);
    expect(withheld.file).not.toContain(MARK);
    expect(withheld.events).not.toContain(MARK);
    expect(withheld.spanText).not.toContain(MARK);
    expect(withheld.logged).not.toContain(MARK);

    // What the comparison found is still there.
    const records = withheld.file.trim().split("\n").map((l) => JSON.parse(l) as ComparisonRecord);
    const byId = new Map(records.map((r) => [r.id, r]));
    expect(records.every((r) => r.withheld === true && r.input === undefined && r.candidate.output === "")).toBe(true);
    const refund = byId.get("t-refund");
    expect(refund?.keyMetrics.decisionsAgree).toBe(false);
    expect(refund?.divergences.find((d) => d.kind === "decisions")?.detail).toBe("tool_calls #1: production refund(…), candidate refund(…); write_actions #1: production refund(…), candidate refund(…)");
    expect(refund?.candidate.toolCalls).toEqual([
      { name: "refund", kind: "write", intercepted: true },
      { name: "lookup_card", kind: "read", intercepted: false, readAfterWrite: "own_write_missed" },
    ]);
    expect(refund?.judge).toEqual({ verdict: "production_better", trigger: "divergence" });
    expect(byId.get("t-tool-error")?.candidate.toolCalls[1]?.error).toBe("Error: message withheld (keepInputs: false)");
    expect(byId.get("t-agent-error")?.candidate.error).toBe("Error: message withheld (keepInputs: false)");
    // The shadow's own messages hold no user data, so they stay.
    expect(byId.get("t-bad-answer")?.candidate.error).toMatch(/^the agent's answer is not valid: field "outcome"/);
    expect(byId.get("t-timeout")?.candidate.error).toBe("candidate did not answer within 50 ms (candidateTimeoutMs); its signal was aborted");

    const report = await runShadowCli(["shadow", "report", withheld.comparisonsFile, "--risk", "low"]);
    expect(report.stdout).not.toContain(MARK);
    expect(report.stdout).toContain("outputs:    withheld (the shadow ran with keepInputs: false)");
  });

  it("keeps them all by default, so the test above can see what it withholds", async () => {
    const kept = await shadowTickets(true);
    for (const what of ["CARD", "OUTPUT", "REASON", "TOOL-ERROR", "AGENT-ERROR"]) expect(kept.file).toContain(`${MARK}-${what}`);
    expect(kept.events).toContain(`${MARK}-OUTPUT`);
    expect(kept.spanText).toContain(`${MARK}-AGENT-ERROR`);
  });

  it("refuses recordInputsFile together with keepInputs: false", () => {
    const both = () =>
      createShadow({
        production: { run: async () => "p", version: PRODUCTION },
        candidate: { run: async () => "c", version: CANDIDATE },
        keepInputs: false,
        recordInputsFile: "shadow/inputs.jsonl",
      });
    expect(both).toThrow(ShadowOptionsError);
    expect(both).toThrow("recordInputsFile: recordInputsFile records every input, which keepInputs: false forbids");
  });
});
