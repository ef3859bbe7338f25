import type { Toolset } from "../../src/index.js";

/** A tiny order desk: one read tool, one write tool that really changes state, so a test can see whether it ran. */
export function orderDesk() {
  const refunds: { orderId: string; amount: number }[] = [];
  const tools: Toolset = {
    lookup_order: {
      kind: "read",
      execute: (args) => {
        const { orderId } = args as { orderId: string };
        return { orderId, status: "delivered", total: 42 };
      },
    },
    issue_refund: {
      kind: "write",
      execute: (args) => {
        const refund = args as { orderId: string; amount: number };
        refunds.push(refund);
        return { refundId: `rf-${refunds.length}` };
      },
      dryRun: () => ({ refundId: "rf-dry-run" }),
    },
  };
  return { tools, refunds };
}
