import { z } from "zod";

export const SCENARIO_NAMES = ["cost", "loop", "healthy"] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

/**
 * A whole-number flag. The messages say the fix only: the shared CLI module puts
 * the flag and the value given in front (`--seed x: give a whole number ...`).
 */
const intFlag = (min: number, max: number) => {
  const range = `give a whole number from ${min} to ${max}`;
  // A number from a library caller, or the string a flag gives (an empty one would coerce to 0).
  return z
    .union([z.number(), z.string().trim().min(1, range)], { error: range })
    .pipe(z.coerce.number<string | number>({ error: range }).int(range).min(min, range).max(max, range));
};

/** The demo's flags as commander hands them over (strings), checked and typed. */
export const DemoOptionsSchema = z.object({
  scenario: z.enum([...SCENARIO_NAMES, "all"], {
    error: `give one of ${[...SCENARIO_NAMES, "all"].join(", ")}`,
  }),
  seed: intFlag(0, 2 ** 31 - 1),
  concurrency: intFlag(1, 64),
  speed: z
    .union([z.number(), z.string().trim().min(1, "give a number above 0")], { error: "give a number above 0" })
    .pipe(z.coerce.number<string | number>({ error: "give a number above 0" }).positive("give a number above 0; 1 is the default pace, 2 twice as fast")),
  stack: z.boolean(),
  json: z.boolean(),
});
/** What the demo runs with: the flags, typed (what a library caller passes to runDemo). */
export type DemoOptions = z.output<typeof DemoOptionsSchema>;

/** The scenarios a --scenario value stands for, in the order they run. */
export function scenariosOf(choice: DemoOptions["scenario"]): ScenarioName[] {
  // The regressions first: they are what the product is for; "healthy" shows it does not cry wolf.
  return choice === "all" ? ["cost", "loop", "healthy"] : [choice];
}
