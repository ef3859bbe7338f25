import { z } from "zod";
import { between, pick, seeded } from "../model-server/random.js";

/** Tool definitions as the version declares them and the model sees them. */
export const TOOL_DEFINITIONS = [
  {
    name: "lookup_order",
    description: "Look up an order by id: status, items and amount paid.",
    parameters: { type: "object", properties: { orderId: { type: "string" } }, required: ["orderId"], additionalProperties: false },
  },
  {
    name: "search_kb",
    description: "Search the help center; returns the best matching article.",
    parameters: { type: "object", properties: { query: { type: "string" } }, required: ["query"], additionalProperties: false },
  },
  {
    name: "issue_refund",
    description: "Refund an order, fully or partly.",
    parameters: {
      type: "object",
      properties: { orderId: { type: "string" }, amountUsd: { type: "number" } },
      required: ["orderId", "amountUsd"],
      additionalProperties: false,
    },
  },
] as const;

export type ToolName = (typeof TOOL_DEFINITIONS)[number]["name"];

export interface Order {
  orderId: string;
  status: "processing" | "shipped" | "delivered";
  amountUsd: number;
}

/** The shop's order book: every order id has a fixed status and amount. */
export function findOrder(orderId: string): Order {
  const random = seeded("order", orderId);
  return { orderId, status: pick(random, ["processing", "shipped", "delivered"] as const), amountUsd: between(random, 12, 480) };
}

export interface Article {
  articleId: string;
  title: string;
}

export interface Refund {
  refundId: string;
  amountUsd: number;
}

/** What a tool hands back to the model: its finding, or an error the model should relay. */
export type ToolResult = Order | Article | Refund | { error: string };

export function articleFor(query: string): Article {
  const random = seeded("kb", query.toLowerCase().trim());
  return { articleId: `KB-${between(random, 100, 999)}`, title: `About ${query}` };
}

const LookupArgs = z.object({ orderId: z.string().min(1) });
const SearchArgs = z.object({ query: z.string().min(1) });
const RefundArgs = z.object({ orderId: z.string().min(1), amountUsd: z.number().positive() });

/**
 * Runs a tool call the model asked for. Bad arguments come back to the model
 * as an error result (as a real agent would), not as an exception.
 */
export function executeTool(name: string, rawArgs: string, options: { refundsEnabled: boolean }): ToolResult {
  let args: unknown;
  try {
    args = JSON.parse(rawArgs || "{}");
  } catch {
    return { error: "arguments are not valid JSON" };
  }
  switch (name) {
    case "lookup_order": {
      const parsed = LookupArgs.safeParse(args);
      return parsed.success ? findOrder(parsed.data.orderId) : { error: "lookup_order needs { orderId }" };
    }
    case "search_kb": {
      const parsed = SearchArgs.safeParse(args);
      return parsed.success ? articleFor(parsed.data.query) : { error: "search_kb needs { query }" };
    }
    case "issue_refund": {
      const parsed = RefundArgs.safeParse(args);
      if (!parsed.success) return { error: "issue_refund needs { orderId, amountUsd }" };
      if (!options.refundsEnabled) return { error: "refunds are handled by a human for this customer; say so" };
      const order = findOrder(parsed.data.orderId);
      if (parsed.data.amountUsd > order.amountUsd) return { error: `at most ${order.amountUsd} USD can be refunded` };
      return { refundId: `R-${order.orderId}`, amountUsd: parsed.data.amountUsd };
    }
    default:
      return { error: `no tool named ${name}` };
  }
}
