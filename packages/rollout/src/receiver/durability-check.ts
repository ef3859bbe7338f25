import type { RolloutStore } from "@agent-canary/rollout-state";
import type { FastifyBaseLogger } from "fastify";

/** The receiver refused to start (a store that cannot make acknowledgements durable, with --require-durable-store). */
export class ReceiverStartError extends Error {
  override readonly name = "ReceiverStartError";
}

/**
 * A 2xx tells Alertmanager the rollback is done; if Redis then loses it (killed before its
 * AOF reached the disk), Alertmanager never re-sends and the canary is back. So the
 * receiver says at start what an acknowledgement survives, and refuses when asked to.
 */
export async function checkDurability(store: RolloutStore, require: boolean, log: FastifyBaseLogger): Promise<void> {
  if (!store.durability) return;
  let report;
  try {
    report = await store.durability();
  } catch (error) {
    // Not a store that is down for now (readiness covers that) but one that can never work here:
    // ioredis not installed, or a spec ioredis cannot use. Running on would answer every alert with 5xx.
    if ((error as Error).name === "RedisSpecError") throw new ReceiverStartError(`the store cannot be used: ${(error as Error).message}`);
    if (require) throw new ReceiverStartError(`cannot tell whether the store makes acknowledgements durable (${(error as Error).message}); --require-durable-store refuses to start`);
    log.warn({ err: error }, "could not check the store's durability");
    return;
  }
  if (report.durable) {
    log.info({ findings: report.findings }, "store: acknowledged writes are durable");
    return;
  }
  const message = `store: an acknowledged rollback may be lost if Redis is killed right after it: ${report.findings.join("; ")}. Fix: ${report.advice ?? "see the README"}`;
  if (require) throw new ReceiverStartError(`${message} (--require-durable-store refuses to start)`);
  log.warn({ findings: report.findings, advice: report.advice }, message);
}
