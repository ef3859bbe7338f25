import { z } from "zod";

/** A time limit option: a whole, positive number of milliseconds; errors name the option and an example. */
export function milliseconds(option: string, example: number) {
  const fix = `${option} must be a whole number of milliseconds above 0, e.g. ${example}`;
  return z.number({ message: fix }).int(fix).positive(fix);
}

/** A time limit option with its default, which is also the example its errors give. */
export function timeLimit(option: string, defaultMs: number) {
  return milliseconds(option, defaultMs).default(defaultMs);
}
