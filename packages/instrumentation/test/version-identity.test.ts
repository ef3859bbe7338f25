import { versionHash } from "@agent-canary/conventions";
import { describe, expect, it } from "vitest";
import { BASELINE } from "./helpers/versions.js";

describe("version hash", () => {
  const spec = {
    model: "gpt-4o-mini",
    systemPrompt: "You are a support agent.\nBe brief.",
    tools: [
      { name: "search_kb", parameters: { type: "object", properties: { query: { type: "string" } } } },
      { name: "lookup_order", description: "Find an order" },
    ],
    params: { temperature: 0.2, top_p: 1 },
  };

  it("ignores key order, tool order, JSON whitespace and line endings", () => {
    const reordered = JSON.parse(
      JSON.stringify(
        {
          params: { top_p: 1, temperature: 0.2 },
          tools: [spec.tools[1], { parameters: { properties: { query: { type: "string" } }, type: "object" }, name: "search_kb" }],
          systemPrompt: "You are a support agent.\r\nBe brief.  \n",
          model: "gpt-4o-mini",
        },
        null,
        4,
      ),
    );
    expect(versionHash(reordered)).toBe(versionHash(spec));
    expect(versionHash(spec)).toMatch(/^[0-9a-f]{16}$/);
  });

  it("changes with any real change", () => {
    const base = versionHash(spec);
    const changes = [
      { ...spec, model: "gpt-4o" },
      { ...spec, systemPrompt: "You are a support agent.\nBe very brief." },
      { ...spec, tools: spec.tools.slice(1) },
      { ...spec, tools: [{ ...spec.tools[0]!, description: "Search" }, spec.tools[1]!] },
      { ...spec, params: { temperature: 0.3, top_p: 1 } },
      { ...spec, params: { temperature: 0.2 } },
    ];
    const hashes = changes.map((c) => versionHash(c));
    for (const h of hashes) expect(h).not.toBe(base);
    expect(new Set(hashes).size).toBe(hashes.length);
    expect(versionHash(BASELINE)).not.toBe(base);
  });
});
