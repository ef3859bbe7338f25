import { z } from "zod";

export const SCENARIO_NAMES = ["cost", "loop", "healthy"] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

const intFlag = (flag: string, min: number, max: number) =>
  z.coerce
    .number({ error: `${flag} takes a whole number` })
    .int(`${flag} takes a whole number`)
    .min(min, `${flag} must be at least ${min}`)
    .max(max, `${flag} must be at most ${max}`);

/** The demo's flags as commander hands them over (strings), checked and typed. */
export const DemoOptionsSchema = z.object({
  scenario: z.enum([...SCENARIO_NAMES, "all"], {
    error: `--scenario takes one of ${[...SCENARIO_NAMES, "all"].join(", ")}`,
  }),
  seed: intFlag("--seed", 0, 2 ** 31 - 1),
  concurrency: intFlag("--concurrency", 1, 64),
  speed: z.coerce
    .number({ error: "--speed takes a number" })
    .positive("--speed must be positive; 1 is the default pace, 2 twice as fast"),
  stack: z.boolean(),
  json: z.boolean(),
});
export type DemoOptions = z.infer<typeof DemoOptionsSchema>;

/** The scenarios a --scenario value stands for, in the order they run. */
export function scenariosOf(choice: DemoOptions["scenario"]): ScenarioName[] {
  // The regressions first: they are what the product is for; "healthy" shows it does not cry wolf.
  return choice === "all" ? ["cost", "loop", "healthy"] : [choice];
}

/** A readable error from a zod failure: the flag and its fix, one per line. */
export function describeOptionErrors(error: z.ZodError): string {
  return error.issues.map((issue) => `  ${issue.message}`).join("\n");
}
