import { z } from "zod";

/** A flag that takes a whole number above 0; commander hands it over as a string (the shared formatter names the flag). */
export const positiveInt = () => z.coerce.number({ message: "give a number" }).int("give a whole number").positive("give a number above 0");
