import { fieldErrorMap, firstIssue } from "@agent-canary/conventions";
import { isMap, isSeq, parseDocument, YAMLMap, YAMLSeq, type Document } from "yaml";
import { z } from "zod";
import type { GatesConfig } from "../config/resolve.js";
import { alertmanagerFragment } from "./config.js";
import { GATE_ALERT_NAMES, matcherText, RECEIVERS } from "./routing.js";

/** The parts of an existing Alertmanager config the merge touches; everything else is kept as it is. */
const ExistingConfigSchema = z.looseObject({
  route: z.looseObject(
    {
      receiver: z.string({ error: "the root route needs a receiver, as Alertmanager requires" }).min(1),
      routes: z.array(z.looseObject({ receiver: z.string().optional() }), { error: "route.routes must be a list of routes" }).optional(),
    },
    { error: "an Alertmanager config has a root `route`" },
  ),
  receivers: z.array(z.looseObject({ name: z.string().min(1) }), { error: "an Alertmanager config has a list of `receivers`" }),
  inhibit_rules: z.array(z.looseObject({}), { error: "inhibit_rules must be a list" }).optional(),
});

/** An existing Alertmanager config that cannot take agent-canary's routes; nothing was written. */
export class AlertmanagerMergeError extends Error {
  constructor(readonly file: string, readonly field: string, problem: string) {
    super(`${file}: ${field}: ${problem}`);
    this.name = "AlertmanagerMergeError";
  }
}

const OWN_RECEIVERS: readonly string[] = [RECEIVERS.rollback, RECEIVERS.hold];
const GATE_ALERTS_MATCHER = matcherText({ name: "alertname", op: "=~", value: GATE_ALERT_NAMES });

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : []);

/** Routes, receivers and inhibit rules an earlier merge added: they are replaced, never duplicated. */
function isOwnRoute(route: { receiver?: unknown; matchers?: unknown }, notify: string | undefined): boolean {
  const receiver = String(route.receiver ?? "");
  return OWN_RECEIVERS.includes(receiver) || (receiver === notify && strings(route.matchers).includes(GATE_ALERTS_MATCHER));
}
function isOwnInhibitRule(rule: { source_matchers?: unknown; target_matchers?: unknown; equal?: unknown }): boolean {
  return strings(rule.source_matchers).includes('action="rollback"') && strings(rule.target_matchers).includes('action="hold"') && strings(rule.equal).includes("rollout_id");
}

function seqAt(doc: Document, path: string[]): YAMLSeq {
  const node = doc.getIn(path, true);
  if (isSeq(node)) return node;
  const seq = new YAMLSeq();
  doc.setIn(path, seq);
  return seq;
}

/** Removes the items of a sequence that match, keeping the others (and their comments) in place. */
function removeWhere(seq: YAMLSeq, drop: (item: Record<string, unknown>) => boolean): void {
  seq.items = seq.items.filter((item) => !(isMap(item) && drop((item as YAMLMap).toJSON() as Record<string, unknown>)));
}

/**
 * Merges agent-canary's routes, receivers and inhibit rule into an existing
 * Alertmanager config (the text of alertmanager.yml), as the fragment says to paste
 * them: routes first under the root route, receivers and inhibit rules appended.
 * What an earlier merge added is replaced, so merging again is safe; the rest of the
 * file, its comments included, stays as it was. Throws AlertmanagerMergeError naming
 * the field when the file is not an Alertmanager config or lacks the notifications receiver.
 */
export function mergeAlertmanagerConfig(text: string, file: string, config: GatesConfig): string {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length) throw new AlertmanagerMergeError(file, "", `not valid YAML: ${doc.errors[0]?.message.split("\n")[0] ?? "syntax error"}`);
  const parsed = ExistingConfigSchema.safeParse(doc.toJS() ?? {}, { error: fieldErrorMap });
  if (!parsed.success) {
    const { field, message } = firstIssue(parsed.error);
    throw new AlertmanagerMergeError(file, field || "(top level)", `${message}; pass the alertmanager.yml your Alertmanager runs with`);
  }
  const notify = config.notifications.receiver;
  if (notify && !parsed.data.receivers.some((r) => r.name === notify)) {
    throw new AlertmanagerMergeError(file, "receivers", `no receiver named "${notify}" (gates.yaml notifications.receiver); add it to this file or name one of ${parsed.data.receivers.map((r) => r.name).join(", ")}`);
  }
  const fragment = alertmanagerFragment(config);
  const routes = seqAt(doc, ["route", "routes"]);
  removeWhere(routes, (route) => isOwnRoute(route, notify));
  routes.items.unshift(...fragment.routes.map((route) => doc.createNode(route)));
  const receivers = seqAt(doc, ["receivers"]);
  removeWhere(receivers, (receiver) => OWN_RECEIVERS.includes(String(receiver.name)));
  receivers.items.push(...fragment.receivers.map((receiver) => doc.createNode(receiver)));
  const inhibit = seqAt(doc, ["inhibit_rules"]);
  removeWhere(inhibit, isOwnInhibitRule);
  inhibit.items.push(...fragment.inhibit_rules.map((rule) => doc.createNode(rule)));
  return doc.toString({ lineWidth: 0 });
}
