import { z } from "zod";

/**
 * Names and labels of the Kubernetes objects agent-canary writes, checked the
 * way the API server checks them, so a typo fails here and not at `kubectl apply`.
 */

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

export const NamespaceSchema = z
  .string()
  .max(63, "a namespace has at most 63 characters")
  .regex(DNS_LABEL, "a namespace is lower-case letters, digits and '-', e.g. monitoring");

export const ObjectNameSchema = z
  .string()
  .max(253, "an object name has at most 253 characters")
  .regex(DNS_SUBDOMAIN, "an object name is lower-case letters, digits, '-' and '.', e.g. agent-canary");

/** A label key: an optional DNS-subdomain prefix and '/', then a name of at most 63 characters. */
export const LabelKeySchema = z.string().refine((key) => {
  const slash = key.lastIndexOf("/");
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = key.slice(slash + 1);
  return name.length <= 63 && LABEL_NAME.test(name) && (prefix === undefined || (prefix.length <= 253 && DNS_SUBDOMAIN.test(prefix)));
}, "a label key is [prefix/]name: a name of at most 63 letters, digits, '-', '_', '.', starting and ending with a letter or digit, e.g. release");

export const LabelValueSchema = z
  .string()
  .refine((value) => value === "" || (value.length <= 63 && LABEL_NAME.test(value)), "a label value is at most 63 letters, digits, '-', '_', '.', starting and ending with a letter or digit, e.g. kube-prometheus-stack");

export const LabelsSchema = z.record(LabelKeySchema, LabelValueSchema);

export interface ObjectMeta {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  annotations?: Record<string, string>;
}

/** Labels that say who made an object, next to the user's selector labels. */
export const MANAGED_BY = { "app.kubernetes.io/managed-by": "agent-canary", "app.kubernetes.io/part-of": "agent-canary" } as const;

/** Where an object goes and the labels its selector matches. */
export interface ObjectTarget {
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
}

export function objectMeta(name: string, target: ObjectTarget, extraLabels: Record<string, string> = {}): ObjectMeta {
  return { name, namespace: target.namespace, labels: { ...MANAGED_BY, ...target.labels, ...extraLabels } };
}

/**
 * Parses `key=value` texts (CLI flags) into labels; each problem names the flag
 * and the text. Throws OutputOptionError.
 */
export function parseLabelFlags(flag: string, texts: readonly string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const text of texts) {
    const eq = text.indexOf("=");
    if (eq <= 0) throw new OutputOptionError(`${flag} ${text}: write key=value, e.g. ${flag} release=kube-prometheus-stack`);
    const key = text.slice(0, eq);
    const value = text.slice(eq + 1);
    const problem = LabelKeySchema.safeParse(key).error ?? LabelValueSchema.safeParse(value).error;
    if (problem) throw new OutputOptionError(`${flag} ${text}: ${problem.issues[0]?.message ?? "invalid label"}`);
    labels[key] = value;
  }
  return labels;
}

/** An output option that cannot work (a name or label the API server would refuse, flags that do not go together); nothing was written. */
export class OutputOptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "OutputOptionError";
  }
}

