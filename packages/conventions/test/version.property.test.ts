import { createHash } from "node:crypto";
import {
  VersionHashSchema,
  VersionSpecSchema,
  canonicalJson,
  versionHash,
  type VersionSpec,
} from "@agent-canary/conventions";
import canonicalize from "canonicalize";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

/**
 * The version hash is stored in rollout states, metrics and dashboards, so its
 * contract is strict: key order, JSON whitespace, tool order and prompt formatting
 * never change it; any real change does; and the bytes hashed stay the same across
 * releases (checked against a reference canonical form written independently).
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * The reference canonical form: RFC 8785 (JSON Canonicalization Scheme), from the
 * RFC author's library. On JSON values our canonical form is exactly JCS, so any
 * JCS implementation in any language recomputes a version hash.
 */
function referenceCanonical(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new Error("not a JSON value");
  return text;
}

function referenceHash(identity: unknown): string {
  return createHash("sha256").update(referenceCanonical(identity)).digest("hex").slice(0, 16);
}

/**
 * The same JSON value with every object's keys in a random order. Keys are
 * defined, not assigned: assigning `out["__proto__"]` would set the prototype
 * and drop the key, and fast-check generates that key often.
 */
function shuffleKeys(value: Json, random: () => number): Json {
  if (Array.isArray(value)) return value.map((item) => shuffleKeys(item, random));
  if (value === null || typeof value !== "object") return value;
  const keys = Object.keys(value);
  for (let i = keys.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [keys[i], keys[j]] = [keys[j]!, keys[i]!];
  }
  const out: Record<string, Json> = {};
  for (const key of keys) Object.defineProperty(out, key, { value: shuffleKeys(value[key]!, random), enumerable: true, writable: true, configurable: true });
  return out;
}

const json = fc.jsonValue({ maxDepth: 3, stringUnit: "grapheme" }) as fc.Arbitrary<Json>;
/**
 * Keys a version's params, tools and tool parameters may have: any string but
 * "__proto__", which the schema refuses there (see "refuses ..." below). Inside
 * a parameter's value (`json`) "__proto__" keys stay and are hashed.
 */
const specKey = (maxLength: number) => fc.string({ maxLength }).filter((key) => key !== "__proto__");
const params = fc.dictionary(specKey(12), json, { maxKeys: 6 });
/** Prompts whose lines carry no trailing blanks and no surrounding whitespace: the normal form. */
const promptLine = fc
  .string({ unit: "grapheme", maxLength: 30 })
  .map((line) => line.replace(/[\n\r\u2028\u2029]/g, "").replace(/\s+$/u, ""));
const prompt = fc.array(promptLine, { maxLength: 5 }).map((lines) => lines.join("\n").trim());
const toolName = fc.stringMatching(/^[a-z][a-z0-9_]{0,15}$/);
const tool = fc.record(
  {
    name: toolName,
    description: fc.string({ maxLength: 20 }),
    parameters: fc.dictionary(specKey(8), json, { maxKeys: 4 }),
  },
  { requiredKeys: ["name"] },
);
const tools = fc.uniqueArray(tool, { selector: (t) => t.name, maxLength: 4 });
const model = fc.stringMatching(/^[a-z0-9][a-z0-9.:/-]{0,20}$/);
const spec = fc.record({ model, systemPrompt: prompt, tools, params });
type Spec = { model: string; systemPrompt: string; tools: { name: string; description?: string; parameters?: Record<string, Json> }[]; params: Record<string, Json> };

/** The identity the hash is over, built by hand from a spec already in normal form. */
function identityOf(s: Spec): Json {
  const sortedTools = [...s.tools].sort((a, b) => (a.name < b.name ? -1 : 1));
  return { model: s.model, systemPrompt: s.systemPrompt, tools: sortedTools as Json, params: s.params };
}

describe("versionHash", () => {
  it("is SHA-256 of the reference canonical form, first 16 hex chars", () => {
    fc.assert(
      fc.property(spec, (s) => {
        expect(versionHash(s)).toBe(referenceHash(identityOf(s)));
      }),
      { numRuns: 500 },
    );
  });

  it("hashes a known spec to the same value as every earlier release", () => {
    // The canonical bytes spelled out: keys sorted, no whitespace, tools sorted by name.
    const canonical =
      '{"model":"gpt-4o-mini","params":{"temperature":0.2},"systemPrompt":"Be brief.","tools":[{"name":"a"},{"description":"d","name":"b"}]}';
    const expected = createHash("sha256").update(canonical).digest("hex").slice(0, 16);
    const given: VersionSpec = {
      model: "gpt-4o-mini",
      systemPrompt: "Be brief.",
      tools: [{ name: "b", description: "d" }, { name: "a" }],
      params: { temperature: 0.2 },
    };
    expect(versionHash(given)).toBe(expected);
    expect(versionHash({ model: "m" })).toBe(createHash("sha256").update('{"model":"m","params":{},"systemPrompt":"","tools":[]}').digest("hex").slice(0, 16));
  });

  it("does not change with key order, JSON whitespace or tool order", () => {
    fc.assert(
      fc.property(spec, fc.integer({ min: 0, max: 2 ** 31 }), fc.constantFrom(0, 2, "\t", " \n "), (s, seed, indent) => {
        let state = seed;
        const random = () => ((state = (state * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
        const reordered = shuffleKeys(s as unknown as Json, random) as unknown as Spec;
        const toolsShuffled = { ...reordered, tools: shuffleKeys([...reordered.tools].reverse() as Json, random) as Spec["tools"] };
        const reformatted = JSON.parse(JSON.stringify(toolsShuffled, null, indent)) as Spec;
        expect(versionHash(reformatted)).toBe(versionHash(s));
      }),
      { numRuns: 300 },
    );
  });

  it("does not change with line endings, trailing blanks, surrounding blank lines or the model's padding", () => {
    const blanks = fc.array(fc.constantFrom(" ", "\t"), { maxLength: 3 }).map((b) => b.join(""));
    fc.assert(
      fc.property(spec, fc.constantFrom("\n", "\r\n", "\r"), blanks, blanks, fc.constantFrom("", "\n", " \n\t", "\r\n\r\n"), (s, eol, trailing, pad, around) => {
        const messy = s.systemPrompt
          .split("\n")
          .map((line) => line + trailing)
          .join(eol);
        const variant = { ...s, model: `${pad}${s.model}${pad}`, systemPrompt: `${around}${messy}${around}` };
        expect(versionHash(variant)).toBe(versionHash(s));
      }),
      { numRuns: 300 },
    );
  });

  it("treats missing prompt, tools and params as empty, and ignores the label", () => {
    fc.assert(
      fc.property(model, fc.string(), (m, label) => {
        const bare = versionHash({ model: m });
        expect(versionHash({ model: m, systemPrompt: "", tools: [], params: {} })).toBe(bare);
        expect(versionHash({ model: m, label })).toBe(bare);
      }),
      { numRuns: 100 },
    );
  });

  it("changes with any real change", () => {
    const realChanges: fc.Arbitrary<(s: Spec) => Spec | undefined>[] = [
      model.map((m) => (s: Spec) => (m === s.model ? undefined : { ...s, model: m })),
      fc.string({ minLength: 1, maxLength: 10 }).map((text) => (s: Spec) => {
        const changed = `${s.systemPrompt}\n${text}`.trim();
        return changed === s.systemPrompt ? undefined : { ...s, systemPrompt: changed };
      }),
      // Indentation and inner spaces are content, not formatting.
      fc.constantFrom("  ", "\t").map((indent) => (s: Spec) => {
        const lines = s.systemPrompt.split("\n");
        const at = lines.findIndex((line, i) => i > 0 && line !== "");
        if (at < 0) return undefined;
        lines[at] = indent + lines[at]!;
        return { ...s, systemPrompt: lines.join("\n") };
      }),
      fc.constant((s: Spec) => (s.systemPrompt.includes(" ") ? { ...s, systemPrompt: s.systemPrompt.replace(" ", "  ") } : undefined)),
      tool.map((t) => (s: Spec) => (s.tools.some((x) => x.name === t.name) ? undefined : { ...s, tools: [...s.tools, t] })),
      fc.constant((s: Spec) => (s.tools.length === 0 ? undefined : { ...s, tools: s.tools.slice(1) })),
      fc.string({ maxLength: 8 }).map((d) => (s: Spec) => {
        const [first, ...rest] = s.tools;
        if (!first || first.description === d) return undefined;
        return { ...s, tools: [{ ...first, description: d }, ...rest] };
      }),
      fc.tuple(specKey(8), json).map(([key, value]) => (s: Spec) => {
        if (canonicalJson(s.params[key]) === canonicalJson(value) && key in s.params) return undefined;
        return { ...s, params: { ...s.params, [key]: value } };
      }),
      fc.constant((s: Spec) => {
        const [key] = Object.keys(s.params);
        if (key === undefined) return undefined;
        const { [key]: _dropped, ...rest } = s.params;
        return { ...s, params: rest };
      }),
    ];
    fc.assert(
      fc.property(spec, fc.oneof(...realChanges), (s, change) => {
        const changed = change(s);
        fc.pre(changed !== undefined);
        expect(versionHash(changed!)).not.toBe(versionHash(s));
      }),
      { numRuns: 1_000 },
    );
  });

  it("does not depend on the order of tools that share a name (an observed request may carry them)", () => {
    fc.assert(
      fc.property(spec, fc.array(tool, { minLength: 2, maxLength: 4 }), toolName, (s, clashing, name) => {
        const same = clashing.map((t) => ({ ...t, name }));
        const forward = versionHash({ ...s, tools: [...s.tools, ...same] });
        expect(versionHash({ ...s, tools: [...same].reverse().concat(s.tools) })).toBe(forward);
      }),
      { numRuns: 300 },
    );
  });

  it("is 16 lowercase hex characters", () => {
    fc.assert(
      fc.property(spec, (s) => {
        expect(versionHash(s)).toMatch(/^[0-9a-f]{16}$/);
        expect(VersionHashSchema.safeParse(versionHash(s)).success).toBe(true);
      }),
      { numRuns: 100 },
    );
  });
});

describe("canonicalJson", () => {
  it("equals RFC 8785 (JCS) on any JSON value", () => {
    fc.assert(
      fc.property(json, (value) => {
        expect(canonicalJson(value)).toBe(referenceCanonical(value));
      }),
      { numRuns: 1_000 },
    );
  });

  it("sorts objects too large for a plain insertion sort (large tool schemas)", () => {
    const entries = fc.uniqueArray(fc.tuple(fc.string({ unit: "grapheme", maxLength: 6 }), json), { minLength: 100, maxLength: 300, selector: ([key]) => key });
    fc.assert(
      fc.property(entries, (pairs) => {
        const value = Object.fromEntries(pairs) as Json;
        expect(canonicalJson(value)).toBe(referenceCanonical(value));
      }),
      { numRuns: 50 },
    );
  });

  it("drops undefined members and writes what JSON cannot hold as null", () => {
    expect(canonicalJson({ b: 1, a: undefined, c: [undefined, 2] })).toBe('{"b":1,"c":[null,2]}');
    expect(canonicalJson({ nan: Number.NaN, inf: Number.POSITIVE_INFINITY, neg: Number.NEGATIVE_INFINITY })).toBe('{"inf":null,"nan":null,"neg":null}');
    expect(canonicalJson(undefined)).toBe("null");
    expect(canonicalJson(null)).toBe("null");
    expect(canonicalJson([])).toBe("[]");
    expect(canonicalJson({})).toBe("{}");
    expect(canonicalJson([1, "a", true, null])).toBe('[1,"a",true,null]');
    expect(canonicalJson({ "é": 1, e: 2, E: 3, "": 4 })).toBe('{"":4,"E":3,"e":2,"é":1}');
  });
});

describe("version spec validation", () => {
  it("names the missing model and how to give one", () => {
    const result = VersionSpecSchema.safeParse({ systemPrompt: "x" });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]).toMatchObject({ path: ["model"], message: 'model is required, e.g. "gpt-4o-mini"' });
    expect(VersionSpecSchema.safeParse({ model: 4 }).error?.issues[0]?.message).toBe('model must be a string, e.g. "gpt-4o-mini"');
    expect(VersionSpecSchema.safeParse({ model: "" }).error?.issues[0]?.message).toBe('model is required, e.g. "gpt-4o-mini"');
    expect(() => versionHash({ model: "" })).toThrow(/model is required/);
  });

  it("names a tool without a name", () => {
    const result = VersionSpecSchema.safeParse({ model: "m", tools: [{ name: "" }] });
    expect(result.error?.issues[0]).toMatchObject({ path: ["tools", 0, "name"], message: "a tool needs a name" });
  });

  it("keeps a tool's extra fields (provider-specific schemas) in the hash", () => {
    const plain = versionHash({ model: "m", tools: [{ name: "t" }] });
    const withSchema = versionHash({ model: "m", tools: [{ name: "t", input_schema: { type: "object" } }] });
    expect(withSchema).not.toBe(plain);
  });

  it("accepts exactly 16 lowercase hex characters as a version hash", () => {
    expect(VersionHashSchema.safeParse("0123456789abcdef").success).toBe(true);
    for (const bad of ["0123456789abcde", "0123456789abcdef0", "0123456789ABCDEF", "0123456789abcdeg", " 0123456789abcdef", "0123456789abcdef\n", "x0123456789abcdef"]) {
      expect(VersionHashSchema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
    expect(VersionHashSchema.safeParse("xyz").error?.issues[0]?.message).toBe("a version hash is 16 lowercase hex characters");
  });

  it("refuses a __proto__ key in params, a tool or a tool's parameters, naming where, instead of dropping it from the hash", () => {
    const where = fc.constantFrom<[string, (s: Spec) => unknown, (string | number)[]]>(
      ["params", (s) => ({ ...s, params: withProtoKey(s.params) }), ["params"]],
      ["a tool definition", (s) => ({ ...s, tools: [withProtoKey({ name: "t" }), ...s.tools] }), ["tools", 0]],
      ["a tool's parameters", (s) => ({ ...s, tools: [{ name: "t", parameters: withProtoKey({}) }, ...s.tools] }), ["tools", 0, "parameters"]],
    );
    fc.assert(
      fc.property(spec, where, (s, [what, add, path]) => {
        const result = VersionSpecSchema.safeParse(add(s));
        expect(result.error?.issues[0]).toMatchObject({ path, message: expect.stringContaining(`the key "__proto__" in ${what} cannot be part of a version`) });
        expect(() => versionHash(add(s) as VersionSpec)).toThrow(/rename or remove it/);
      }),
      { numRuns: 100 },
    );
  });

  it("refuses an empty value or a missing entry where a mapping goes with an issue naming the field, never a crash of the __proto__ check", () => {
    for (const [spec, path] of [
      [{ model: "m", params: null }, ["params"]],
      [{ model: "m", tools: [null] }, ["tools", 0]],
      [{ model: "m", tools: [undefined] }, ["tools", 0]],
      [{ model: "m", tools: [{ name: "t", parameters: null }] }, ["tools", 0, "parameters"]],
    ] as const) {
      const result = VersionSpecSchema.safeParse(spec);
      expect(result.success, JSON.stringify(spec)).toBe(false);
      expect(result.error?.issues[0]?.path, JSON.stringify(spec)).toEqual(path);
    }
  });

  it("hashes a __proto__ key inside a parameter's value like any other key", () => {
    fc.assert(
      fc.property(spec, specKey(8), json, fc.integer({ min: 0, max: 2 ** 31 }), (s, name, value, seed) => {
        let state = seed;
        const random = () => ((state = (state * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
        const nested = withProtoKey({ other: 1 }, value);
        const withNested = { ...s, params: { ...s.params, [name]: nested } };
        expect(versionHash(withNested)).not.toBe(versionHash({ ...s, params: { ...s.params, [name]: { other: 1 } } }));
        expect(versionHash({ ...withNested, params: shuffleKeys(withNested.params as Json, random) as Spec["params"] })).toBe(versionHash(withNested));
      }),
      { numRuns: 200 },
    );
  });
});

/** A copy of `object` with an own "__proto__" key, as JSON.parse makes it. */
function withProtoKey(object: Record<string, Json>, value: Json = { polluted: true }): Record<string, Json> {
  return Object.defineProperty({ ...object }, "__proto__", { value, enumerable: true, writable: true, configurable: true }) as Record<string, Json>;
}
