import type { ShadowContext, Toolset } from "./agent.js";
import { UnknownToolError } from "./run-tracker.js";

/**
 * The context of a request that is not shadowed: tools run as they are and
 * nothing is recorded, so production pays next to nothing for shadow mode
 * when sampling leaves a request out. Stateless: one serves every request.
 */
export function passThroughContext(tools: Toolset): ShadowContext {
  const signal = new AbortController().signal;
  return {
    role: "production",
    signal,
    recordTurn: () => undefined,
    callTool: async (name, args) => {
      const tool = Object.hasOwn(tools, name) ? tools[name] : undefined;
      if (!tool) throw new UnknownToolError(name, Object.keys(tools));
      return tool.execute(args, signal);
    },
  };
}
