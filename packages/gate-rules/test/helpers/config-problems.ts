import { GatesConfigError, parseGatesConfig, type ConfigProblem } from "../../src/index.js";

/** The problems a config text is refused with; throws if it is accepted. */
export function problems(text: string, file = "gates.yaml"): readonly ConfigProblem[] {
  try {
    parseGatesConfig(text, file);
  } catch (error) {
    if (error instanceof GatesConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected the config to be rejected");
}
