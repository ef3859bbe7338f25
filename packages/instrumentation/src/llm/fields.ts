/** Narrowing helpers for reading SDK payloads, whose shapes vary across SDK versions. */
export type Obj = Record<string, unknown>;

export function isObj(value: unknown): value is Obj {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

export function num(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

export function arr(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

export function obj(value: unknown): Obj {
  return isObj(value) ? value : {};
}

/** Text of a message content that is a string or a list of text parts. */
export function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  return arr(content)
    .map((part) => (isObj(part) ? (str(part.text) ?? "") : ""))
    .join("");
}

export function parseJsonArgs(args: unknown): unknown {
  if (typeof args !== "string") return args ?? {};
  if (args.trim() === "") return {};
  try {
    return JSON.parse(args) as unknown;
  } catch {
    return args;
  }
}
