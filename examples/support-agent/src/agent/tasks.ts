import { between, pick, type Random } from "../model-server/random.js";

export type TaskKind = "order_status" | "refund" | "kb_question";

/** A support ticket: what the customer asks. The ticket id is in the text so the model server can recognise it. */
export interface SupportTask {
  ticketId: string;
  kind: TaskKind;
  text: string;
  orderId?: string;
  topic?: string;
}

export const KB_TOPICS = ["shipping times", "return policy", "password reset", "warranty", "invoice copy"] as const;

/** A ticket drawn from the usual mix: half order status, a quarter refunds, a quarter help-center questions. */
export function makeTask(random: Random, ticketId: string): SupportTask {
  const r = random();
  const orderId = `A${between(random, 1000, 9999)}`;
  if (r < 0.5) return { ticketId, kind: "order_status", orderId, text: `Ticket ${ticketId}: where is my order ${orderId}?` };
  if (r < 0.75) return { ticketId, kind: "refund", orderId, text: `Ticket ${ticketId}: please refund my order ${orderId}, it arrived broken.` };
  const topic = pick(random, KB_TOPICS);
  return { ticketId, kind: "kb_question", topic, text: `Ticket ${ticketId}: question about ${topic}.` };
}

/** Reads a ticket back from its text (the model server's side of the same format). */
export function parseTask(text: string): SupportTask | undefined {
  const ticket = /^Ticket (\S+):/.exec(text)?.[1];
  if (!ticket) return undefined;
  const order = /order (A\d+)/.exec(text)?.[1];
  if (text.includes("refund") && order) return { ticketId: ticket, kind: "refund", orderId: order, text };
  if (order) return { ticketId: ticket, kind: "order_status", orderId: order, text };
  const topic = KB_TOPICS.find((t) => text.includes(t));
  return topic ? { ticketId: ticket, kind: "kb_question", topic, text } : undefined;
}
