import { VersionSpecSchema } from "@agent-canary/conventions";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { LlmRequest } from "../src/llm/types.js";
import { declaredFingerprint, observedFingerprint } from "../src/version/fingerprint.js";

// The fingerprint of what a request sends is memoised on its raw parts (observedFingerprint).
// These properties hold the memo to the contract the mismatch check relies on: a request
// built from the declared version matches it, and any real change to what is sent, even
// made in place on the same objects, reads as a different version.

const word = fc.stringMatching(/^[a-z][a-z_]{0,11}$/);
const toolArb = fc.record({
  name: word,
  description: fc.option(fc.string({ maxLength: 20 }), { nil: undefined }),
  parameters: fc.option(fc.record({ type: fc.constant("object"), properties: fc.dictionary(word, fc.record({ type: fc.constantFrom("string", "number") }), { maxKeys: 3 }) }), { nil: undefined }),
});
const specArb = fc.record({
  model: word,
  systemPrompt: fc.string({ maxLength: 40 }),
  tools: fc.uniqueArray(toolArb, { selector: (t) => t.name, maxLength: 4 }),
  params: fc.record({ temperature: fc.double({ min: 0, max: 2, noNaN: true }) }),
});

function requestFrom(spec: ReturnType<typeof VersionSpecSchema.parse>, noisy: boolean): LlmRequest {
  // What the OpenAI Agents SDK or LangChain send: the same tools in another order, with schema noise.
  const tools = [...spec.tools].reverse().map((t) => ({
    name: t.name,
    description: t.description,
    parameters: t.parameters && noisy ? { ...t.parameters, additionalProperties: false, $schema: "http://json-schema.org/draft-07/schema#" } : t.parameters,
  }));
  return { provider: "openai", api: "chat", model: spec.model, systemPrompt: spec.systemPrompt, tools, body: { ...spec.params, stream: false }, stream: false };
}

describe("observed version fingerprint (memoised)", () => {
  it("matches the declared version for a request built from it, however often it is asked", () => {
    fc.assert(
      fc.property(specArb, fc.boolean(), (input, noisy) => {
        const spec = VersionSpecSchema.parse(input);
        const request = requestFrom(spec, noisy);
        expect(observedFingerprint(request, spec)).toBe(declaredFingerprint(spec));
        expect(observedFingerprint(request, spec)).toBe(declaredFingerprint(spec));
      }),
    );
  });

  it("sees a change made in place on the same request objects (the memo keys on content, not identity)", () => {
    fc.assert(
      fc.property(specArb.filter((s) => s.tools.length > 0), fc.string({ minLength: 1, maxLength: 10 }), (input, extra) => {
        const spec = VersionSpecSchema.parse(input);
        const request = requestFrom(spec, false);
        expect(observedFingerprint(request, spec)).toBe(declaredFingerprint(spec));
        const tool = request.tools[0]!;
        tool.description = `${tool.description ?? ""} ${extra}x`;
        expect(observedFingerprint(request, spec)).not.toBe(declaredFingerprint(spec));
        request.systemPrompt = `${request.systemPrompt}!`;
        const changedTwice = observedFingerprint(request, spec);
        tool.description = spec.tools.find((t) => t.name === tool.name)?.description;
        request.systemPrompt = spec.systemPrompt;
        expect(observedFingerprint(request, spec)).toBe(declaredFingerprint(spec));
        expect(changedTwice).not.toBe(declaredFingerprint(spec));
      }),
    );
  });

  it("compares only the params the declared version names, with the values sent", () => {
    const spec = VersionSpecSchema.parse({ model: "m", params: { temperature: 0.2 } });
    const request: LlmRequest = { provider: "openai", api: "chat", model: "m", systemPrompt: "", tools: [], body: { temperature: 0.2, user: "u1" }, stream: false };
    expect(observedFingerprint(request, spec)).toBe(declaredFingerprint(spec));
    request.body.user = "u2";
    expect(observedFingerprint(request, spec)).toBe(declaredFingerprint(spec));
    request.body.temperature = 0.7;
    expect(observedFingerprint(request, spec)).not.toBe(declaredFingerprint(spec));
  });

  it("fingerprints a request whose raw parts cannot be written as JSON (no memo) like any other", () => {
    const spec = VersionSpecSchema.parse({ model: "m", tools: [{ name: "t", parameters: { type: "object", properties: { a: { type: "string" } } } }] });
    const cyclic: Record<string, unknown> = { type: "string" };
    const request: LlmRequest = { provider: "openai", api: "chat", model: "m", systemPrompt: "", tools: [{ name: "t", parameters: { type: "object", properties: { a: { type: "string" } } }, self: cyclic }], body: {}, stream: false };
    cyclic.loop = cyclic;
    expect(observedFingerprint(request, spec)).toBe(declaredFingerprint(spec));
  });
});
