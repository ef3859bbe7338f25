import { z } from "zod";

/** A flag that takes a whole number above 0; commander hands it over as a string. */
export const positiveInt = (flag: string) =>
  z.coerce.number({ message: `${flag} must be a number` }).int(`${flag} must be a whole number`).positive(`${flag} must be above 0`);
