type Method = (this: unknown, ...args: unknown[]) => unknown;

const OURS = Symbol.for("agent-canary.patched");
const ORIGINAL = Symbol.for("agent-canary.original");
const MAX_CHAIN = 16;

/** Whether an agent-canary wrapper is anywhere in the chain of wrappers on a method (ours, or shimmer's `__original` links). */
export function hasOurWrapper(fn: unknown): boolean {
  let current: unknown = fn;
  for (let depth = 0; typeof current === "function" && depth < MAX_CHAIN; depth++) {
    const f = current as { [OURS]?: boolean; [ORIGINAL]?: unknown; __original?: unknown };
    if (f[OURS]) return true;
    current = f[ORIGINAL] ?? f.__original;
  }
  return false;
}

export type Unpatch = () => void;

/**
 * Installs `makeWrapper(original)` as `target[name]`. Not through shimmer's
 * `_wrap`: @opentelemetry/instrumentation unwraps any method marked
 * `__wrapped` before wrapping it, so agent-canary and another instrumentation
 * of the same SDK (instrumentation-openai, OpenInference) would remove each
 * other. Ours carries no such mark; each wraps the other and both keep
 * working (the span processor and the recording scope count the call once).
 * Unpatching restores the method if ours is still outermost, else turns our
 * wrapper into a pass-through, so a wrapper added over it keeps working.
 */
export function patchMethod(target: object, name: string, makeWrapper: (original: Method) => Method): Unpatch | undefined {
  const t = target as Record<string, unknown>;
  const original = t[name];
  if (typeof original !== "function" || hasOurWrapper(original)) return undefined;
  const descriptor = Object.getOwnPropertyDescriptor(target, name);
  const wrapper = makeWrapper(original as Method);
  let active = true;
  const patched = Object.assign(
    function agentCanaryPatched(this: unknown, ...args: unknown[]): unknown {
      return active ? wrapper.apply(this, args) : (original as Method).apply(this, args);
    },
    { [OURS]: true, [ORIGINAL]: original },
  );
  Object.defineProperty(target, name, { value: patched, writable: true, configurable: true, enumerable: descriptor?.enumerable ?? false });
  return () => {
    active = false;
    if (t[name] !== patched) return;
    if (descriptor) Object.defineProperty(target, name, descriptor);
    else delete t[name];
  };
}
