import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { GatesConfig } from "@agent-canary/gate-rules";
import { FileStore } from "@agent-canary/rollout-state";
import { EmbeddedGateSource } from "../gates/embedded-source.js";
import type { SessionLog } from "../gates/session-log.js";
import type { OpsSide } from "./ops-side.js";

/** No servers: a file store in a temp dir and the TypeScript evaluator of the same gate config. */
export async function startEmbeddedOps(config: GatesConfig, log: SessionLog): Promise<OpsSide> {
  const dir = await mkdtemp(join(tmpdir(), "agent-canary-demo-"));
  const store = new FileStore({ dir, pollIntervalMs: 200 });
  const gates = new EmbeddedGateSource(config, log);
  return {
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
