import { z } from "zod";

const UNIT_SECONDS = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 } as const;
const DURATION_RE = /^(?:\d+(?:ms|s|m|h|d|w))+$/;

/** Seconds in a Prometheus duration string such as "90s", "1h30m" or "2d". */
export function durationSeconds(text: string): number {
  if (!DURATION_RE.test(text)) throw new Error(`"${text}" is not a duration; write e.g. "30s", "5m", "2h", "1d"`);
  let total = 0;
  // The pattern above admits only these units, so every unit is a key of UNIT_SECONDS.
  for (const [, count, unit] of text.matchAll(/(\d+)(ms|s|m|h|d|w)/g)) total += Number(count) * UNIT_SECONDS[unit as keyof typeof UNIT_SECONDS];
  return total;
}

/** The shortest Prometheus duration string for a whole number of seconds. */
export function formatDuration(seconds: number): string {
  if (seconds === 0) return "0s";
  let rest = Math.round(seconds);
  let out = "";
  for (const [unit, size] of [["d", 86_400], ["h", 3600], ["m", 60], ["s", 1]] as const) {
    const count = Math.floor(rest / size);
    if (count > 0) out += `${count}${unit}`;
    rest -= count * size;
  }
  return out;
}

const DURATION_HINT = 'write a Prometheus duration such as "30s", "5m", "2h" or "1d"';
/** A duration as written in the config: kept as text (it goes into PromQL verbatim) and checked here; a bare number has no unit. */
export const DurationSchema = z.string({ error: DURATION_HINT }).regex(DURATION_RE, DURATION_HINT);

/** A window or interval: zero would make an empty range in PromQL and an infinite alpha split. */
export const PositiveDurationSchema = DurationSchema.refine(
  // zod runs every check: a text the regex already rejected must not throw here.
  (text) => !DURATION_RE.test(text) || durationSeconds(text) > 0,
   "must be longer than 0s, e.g. \"1m\" or \"12h\"");
