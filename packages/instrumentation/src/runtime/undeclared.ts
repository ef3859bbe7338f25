import type { ParsedVersionSpec } from "@agent-canary/conventions";
import type { VersionCatalog } from "../routing/router.js";
import type { DeclaredVersion } from "../version/declared.js";

/**
 * The baseline of a process that never declared one (session() called with no
 * register()): sessions still run, but reading their version throws, since
 * there is none to give.
 */
const UNDECLARED_BASELINE: DeclaredVersion = {
  hash: "",
  get spec(): ParsedVersionSpec {
    throw new Error(
      "this session has no version: agent-canary is not registered in this process, so no baseline was declared. " +
        "Call register({ deployment, versions: { baseline } }) at startup, or start node with --import @agent-canary/instrumentation/register and AGENT_CANARY_BASELINE set.",
    );
  },
};

export const UNDECLARED_VERSIONS: VersionCatalog = { baseline: UNDECLARED_BASELINE, canary: undefined, get: () => undefined };
