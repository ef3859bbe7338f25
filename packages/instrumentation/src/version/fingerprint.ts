import { createHash } from "node:crypto";
import { canonicalJson, type ParsedVersionSpec, versionHash } from "@agent-canary/conventions";
import type { LlmRequest } from "../llm/types.js";
import { toolParameters } from "./schema-noise.js";

interface ToolShape {
  [key: string]: unknown;
  name: string;
  description?: string | undefined;
  parameters?: Record<string, unknown> | undefined;
}

function toolShape(tool: { name: string; description?: string | undefined; parameters?: Record<string, unknown> | undefined }): ToolShape {
  const description = tool.description?.trim();
  return { name: tool.name, description: description ? description : undefined, parameters: toolParameters(tool.parameters) };
}

/** The params of the request that the declared version names (stream, user, ... are not part of the comparison). */
function observedParams(request: LlmRequest, declared: ParsedVersionSpec): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  for (const key of Object.keys(declared.params)) {
    if (request.body[key] !== undefined) params[key] = request.body[key];
  }
  return params;
}

function declaredTools(declared: ParsedVersionSpec): ToolShape[] {
  return declared.tools.map((t) => toolShape({ name: t.name, description: t.description, parameters: t.parameters }));
}

/**
 * The version an LLM request reveals: its model, system prompt, tool
 * definitions (without framework noise, see schema-noise.ts) and, of the
 * params the declared version names, the values the request sends.
 */
export function observedFingerprint(request: LlmRequest, declared: ParsedVersionSpec): string {
  const params = observedParams(request, declared);
  // An agent sends the same version call after call: the canonical JSON and SHA-256 below are the
  // largest part of our own per-call work, while the engine's JSON.stringify of the raw request parts
  // is a fraction of it. Equal raw parts always give equal fingerprints, so they key a small memo.
  const key = memoKey(request, params);
  const known = key === undefined ? undefined : observedMemo.get(key);
  if (known !== undefined) return known;
  const fingerprint = computeFingerprint(request, params);
  if (key !== undefined) {
    if (observedMemo.size >= MAX_MEMO) observedMemo.clear();
    observedMemo.set(key, fingerprint);
  }
  return fingerprint;
}

/** Distinct versions are few per process; the bound only matters for a misbehaving caller. */
const MAX_MEMO = 256;
const observedMemo = new Map<string, string>();

function memoKey(request: LlmRequest, params: Record<string, unknown>): string | undefined {
  try {
    return JSON.stringify([request.model, request.systemPrompt, request.tools, params]);
  } catch {
    return undefined; // a BigInt or a cycle: fingerprint it the slow way, unmemoised
  }
}

function computeFingerprint(request: LlmRequest, params: Record<string, unknown>): string {
  // versionHash() validates its input with zod on every call; what is built here is already
  // well-formed, so the same identity (see versionIdentity in conventions) is hashed directly.
  const tools = request.tools.map(toolShape).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const identity = { model: request.model.trim(), systemPrompt: normalisePrompt(request.systemPrompt), tools, params };
  return createHash("sha256").update(canonicalJson(identity)).digest("hex").slice(0, 16);
}

/** As conventions' versionIdentity: line endings and trailing blanks are formatting. */
function normalisePrompt(prompt: string): string {
  return prompt.replace(/\r\n?/g, "\n").replace(/[ \t]+$/gm, "").trim();
}

const declaredCache = new WeakMap<ParsedVersionSpec, string>();

/** The declared version reduced the way requests are observed, so extra keys in a declaration do not read as a mismatch. */
export function declaredFingerprint(declared: ParsedVersionSpec): string {
  let hash = declaredCache.get(declared);
  if (hash === undefined) {
    hash = versionHash({ model: declared.model, systemPrompt: declared.systemPrompt, tools: declaredTools(declared), params: declared.params });
    declaredCache.set(declared, hash);
  }
  return hash;
}

const MAX_SHOWN = 80;
const MAX_DIFFERENCES = 4;

function show(value: unknown): string {
  const text = value === undefined ? "absent" : typeof value === "string" ? JSON.stringify(value) : canonicalJson(value);
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN - 1)}…` : text;
}

/** The first place two JSON values differ, as a path and both values. */
function firstDifference(observed: unknown, declared: unknown, path: string): string | undefined {
  if (canonicalJson(observed) === canonicalJson(declared)) return undefined;
  const bothObjects = [observed, declared].every((v) => typeof v === "object" && v !== null && !Array.isArray(v));
  if (bothObjects) {
    const o = observed as Record<string, unknown>;
    const d = declared as Record<string, unknown>;
    for (const key of [...new Set([...Object.keys(o), ...Object.keys(d)])].sort()) {
      const found = firstDifference(o[key], d[key], `${path}.${key}`);
      if (found) return found;
    }
  }
  if (Array.isArray(observed) && Array.isArray(declared) && observed.length === declared.length) {
    for (let i = 0; i < observed.length; i++) {
      const found = firstDifference(observed[i], declared[i], `${path}[${i}]`);
      if (found) return found;
    }
  }
  return `${path}: sent ${show(observed)}, declared ${show(declared)}`;
}

/** A window of both prompts around where they first differ. */
function promptDifference(observed: string, declared: string): string | undefined {
  const a = observed.replace(/\r\n?/g, "\n").trim();
  const b = declared.replace(/\r\n?/g, "\n").trim();
  if (a === b) return undefined;
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const from = Math.max(0, i - 20);
  const excerpt = (s: string) => show(`${from > 0 ? "…" : ""}${s.slice(from, from + 60)}`);
  return `systemPrompt (from character ${i}): sent ${excerpt(a)}, declared ${excerpt(b)}`;
}

/** Each differing field with the value sent and the value declared, for a warning a human can act on. */
export function describeMismatch(request: LlmRequest, declared: ParsedVersionSpec): string[] {
  const parts: string[] = [];
  if (request.model.trim() !== declared.model.trim()) parts.push(`model: sent ${show(request.model)}, declared ${show(declared.model)}`);
  const prompt = promptDifference(request.systemPrompt, declared.systemPrompt);
  if (prompt) parts.push(prompt);
  const sent = new Map(request.tools.map((t) => [t.name, toolShape(t)]));
  const wanted = new Map(declaredTools(declared).map((t) => [t.name, t]));
  const missing = [...wanted.keys()].filter((n) => !sent.has(n));
  const extra = [...sent.keys()].filter((n) => !wanted.has(n));
  if (missing.length > 0) parts.push(`tools: declared but not sent [${missing.join(", ")}]`);
  if (extra.length > 0) parts.push(`tools: sent but not declared [${extra.join(", ")}]`);
  for (const [name, tool] of sent) {
    const other = wanted.get(name);
    const found = other && firstDifference(tool, other, `tools[${name}]`);
    if (found) parts.push(found);
  }
  const params = observedParams(request, declared);
  for (const key of Object.keys(declared.params)) {
    const found = firstDifference(params[key], declared.params[key], `params.${key}`);
    if (found) parts.push(found);
  }
  if (parts.length === 0) parts.push("tool definitions or params (no single field found)");
  return parts.length > MAX_DIFFERENCES ? [...parts.slice(0, MAX_DIFFERENCES), `and ${parts.length - MAX_DIFFERENCES} more`] : parts;
}
