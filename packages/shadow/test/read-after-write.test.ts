import { once } from "node:events";
import { describe, expect, it } from "vitest";
import { createShadow, ShadowOptionsError, type AgentFn, type ComparisonRecord, type InterceptedWrite, type ShadowOptions, type Toolset } from "../src/index.js";

const PRODUCTION = "aaaaaaaaaaaaaaaa";
const CANDIDATE = "bbbbbbbbbbbbbbbb";
const quiet = { info: () => undefined, warn: () => undefined };

interface Customer {
  readonly id: string;
  readonly address: string;
}
interface AddressChange {
  readonly customerId: string;
  readonly address: string;
}

/** A customer store with a real write and a real read on the same record. */
function customerDesk(withOverlay: boolean) {
  const store = new Map<string, Customer>([["c-1", { id: "c-1", address: "1 Old Road" }]]);
  const customerKey = (args: unknown) => `customer:${(args as { customerId: string }).customerId}`;
  const tools: Toolset = {
    update_address: {
      kind: "write",
      key: customerKey,
      execute: (args) => {
        const { customerId, address } = args as AddressChange;
        store.set(customerId, { id: customerId, address });
        return { ok: true };
      },
      dryRun: () => ({ ok: true }),
    },
    get_customer: {
      kind: "read",
      key: customerKey,
      execute: (args) => store.get((args as { customerId: string }).customerId),
      ...(withOverlay
        ? {
            // The real record, with the run's own (intercepted) changes laid over it.
            overlay: async (_args: unknown, writes: readonly InterceptedWrite[], readReal: () => Promise<unknown>) => {
              const last = writes.at(-1)?.args as AddressChange;
              return { ...((await readReal()) as Customer), address: last.address };
            },
          }
        : {}),
    },
  };
  return { store, tools };
}

/** Changes the address, then reads the customer back and answers with what it read. */
const mover =
  (address: string): AgentFn<string, string> =>
  async (customerId, ctx) => {
    await ctx.callTool("update_address", { customerId, address });
    const customer = (await ctx.callTool("get_customer", { customerId })) as Customer;
    return `Your address is now ${customer.address}.`;
  };

async function shadowOnce(options: Pick<ShadowOptions<string, string>, "production" | "candidate" | "tools" | "candidateStart">): Promise<ComparisonRecord> {
  const shadow = createShadow<string, string>({ ...options, logger: quiet });
  const comparison = once(shadow, "comparison") as Promise<[ComparisonRecord]>;
  await shadow.run("c-1", { requestId: "r1" });
  await shadow.close();
  return (await comparison)[0];
}

describe("read-after-write in the candidate", () => {
  it("shows the candidate its own intercepted write through the read tool's overlay, and writes nothing", async () => {
    const { store, tools } = customerDesk(true);
    const comparison = await shadowOnce({
      production: { run: mover("1 Main Street"), version: PRODUCTION },
      candidate: { run: mover("2 Side Street"), version: CANDIDATE },
      tools,
    });
    expect(store.get("c-1")?.address).toBe("1 Main Street");
    expect(comparison.production.output).toBe("Your address is now 1 Main Street.");
    expect(comparison.candidate.output).toBe("Your address is now 2 Side Street.");
    expect(comparison.candidate.toolCalls.map((c) => [c.name, c.intercepted, c.key, c.readAfterWrite])).toEqual([
      ["update_address", true, "customer:c-1", undefined],
      ["get_customer", false, "customer:c-1", "overlaid"],
    ]);
    expect(comparison.divergences.map((d) => d.kind)).not.toContain("read_after_write");
  });

  it("flags a read of the candidate's own write when the read tool has no overlay", async () => {
    const { tools } = customerDesk(false);
    const comparison = await shadowOnce({
      production: { run: async () => "no change", version: PRODUCTION },
      candidate: { run: mover("2 Side Street"), version: CANDIDATE },
      tools,
    });
    // Without an overlay the candidate reads the real record: its own change is not there.
    expect(comparison.candidate.output).toBe("Your address is now 1 Old Road.");
    expect(comparison.candidate.toolCalls[1]?.readAfterWrite).toBe("own_write_missed");
    expect(comparison.divergences).toContainEqual({
      kind: "read_after_write",
      detail: "candidate get_customer read customer:c-1 after the run's own intercepted write, so the real system did not show it (give the tool an overlay)",
    });
  });

  it("flags a candidate read of a record production really wrote earlier in the same request", async () => {
    const { tools } = customerDesk(true);
    const reader: AgentFn<string, string> = async (customerId, ctx) => {
      const customer = (await ctx.callTool("get_customer", { customerId })) as Customer;
      return `Your address is ${customer.address}.`;
    };
    const comparison = await shadowOnce({
      production: { run: mover("1 Main Street"), version: PRODUCTION },
      candidate: { run: reader, version: CANDIDATE },
      tools,
      candidateStart: "after_production",
    });
    expect(comparison.candidate.output).toBe("Your address is 1 Main Street.");
    expect(comparison.candidate.toolCalls[0]?.readAfterWrite).toBe("production_write_seen");
    expect(comparison.divergences.find((d) => d.kind === "read_after_write")?.detail).toBe(
      "candidate get_customer read customer:c-1 after production really wrote it in this request, so the candidate saw production's write",
    );
  });

  it("takes an overlay only on a read tool that declares its key", () => {
    const bad = (tool: Toolset[string]) => () =>
      createShadow({ production: { run: async () => "p", version: PRODUCTION }, candidate: { run: async () => "c", version: CANDIDATE }, tools: { t: tool } });
    const overlay = async () => ({});
    expect(bad({ kind: "read", execute: () => 1, overlay })).toThrow(ShadowOptionsError);
    expect(bad({ kind: "read", execute: () => 1, overlay })).toThrow("tools.t.overlay: overlay is for read tools that also declare key(args)");
    expect(bad({ kind: "write", execute: () => 1, key: () => "k", overlay })).toThrow("tools.t.overlay");
  });
});
