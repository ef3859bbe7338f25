import { z } from "zod";
import { RECEIVERS } from "./routing.js";

/** Alertmanager receiver names: any non-empty text Alertmanager accepts, without quotes or line breaks (it goes into YAML and matchers). */
const ReceiverNameSchema = z
  .string()
  .min(1, "name an Alertmanager receiver, e.g. team-oncall")
  .regex(/^[^"\n\r]+$/, "a receiver name cannot hold quotes or line breaks")
  .refine((name) => !(Object.values(RECEIVERS) as string[]).includes(name), `name your own receiver, not one agent-canary defines (${Object.values(RECEIVERS).join(", ")})`);

/**
 * Where people hear about the gates. The receiver acts on rollback and hold
 * alerts; people need the alerts no program can act on (a gate that cannot see
 * its data, a gate that cannot decide) and copies of the ones it acted on.
 */
export const NotificationsSchema = z.strictObject({
  /**
   * The name of a receiver already defined in your Alertmanager config (Slack,
   * PagerDuty, email...). Gets every agent-canary alert: the warnings without an
   * `action` (e.g. ...GateBlind) and copies of the rollback and hold alerts.
   * Unset: warnings fall through to your routing tree's other routes and root receiver.
   */
  receiver: ReceiverNameSchema.optional(),
});
export type Notifications = z.output<typeof NotificationsSchema>;
