import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileStore } from "@agent-canary/rollout-state";
import { demoGatesConfig } from "../config.js";
import { EmbeddedGateSource } from "../gates/embedded-source.js";
import type { SessionLog } from "../gates/session-log.js";
import type { OpsSide } from "./ops-side.js";

/** No servers: a file store in a temp dir and the TypeScript evaluator of the same gate config. */
export async function startEmbeddedOps(log: SessionLog): Promise<OpsSide> {
  const config = demoGatesConfig();
  const dir = await mkdtemp(join(tmpdir(), "agent-canary-demo-"));
  const store = new FileStore({ dir, pollIntervalMs: 200 });
  const gates = new EmbeddedGateSource(config, log);
  return {
    config,
    store,
    gates,
    gateView: () => gates.snapshot?.results,
    firedGates: () => (gates.snapshot?.firing ?? []).map((f) => String(f.details?.gate ?? f.name)),
    description: `rollout state: file store in ${dir}; gates: embedded evaluator`,
    close: async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
