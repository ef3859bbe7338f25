/**
 * The second source's own procedure, as it describes it: sessions accumulate
 * from the start of the canary (no window), and the gate function runs after
 * every 10 new canary sessions once the canary has 50. Each run uses
 * gate-rules' evaluateGate on the second-source preset's gates, so the gate
 * arithmetic is the product's, only the cadence is the source's.
 */
import { addSession, emptyArm, evaluateGate, seededRandom, type ArmPair, type Gate, type SessionSampler } from "@agent-canary/gate-rules";

export interface CadenceOptions {
  gates: readonly Gate[];
  baseline: SessionSampler;
  canary: SessionSampler;
  canaryPercent: number;
  /** Stop after this many canary sessions. */
  horizonCanarySessions: number;
  checkEvery: number;
  seed: number;
}

export interface CadenceResult {
  /** Canary sessions when the first gate fired, or undefined when none did within the horizon. */
  firedAt: number | undefined;
  gate: string | undefined;
}

export function simulateCadence(o: CadenceOptions): CadenceResult {
  const rng = seededRandom(o.seed);
  const arms: ArmPair = { baseline: emptyArm(), canary: emptyArm() };
  let canarySessions = 0;
  while (canarySessions < o.horizonCanarySessions) {
    const isCanary = rng() * 100 < o.canaryPercent;
    addSession(isCanary ? arms.canary : arms.baseline, isCanary ? o.canary(rng, "canary") : o.baseline(rng, "baseline"));
    if (!isCanary) continue;
    canarySessions++;
    if (canarySessions % o.checkEvery !== 0) continue;
    for (const gate of o.gates) {
      if (evaluateGate(gate, arms).verdict === "fail") return { firedAt: canarySessions, gate: gate.name };
    }
  }
  return { firedAt: undefined, gate: undefined };
}
