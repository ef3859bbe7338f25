import type { Clock, ProgressLogger } from "@agent-canary/rollout";
import { formatGate, formatPercent, formatSimulated, type GateView } from "./format.js";

export interface TimelineOptions {
  clock: Clock;
  /** Simulated epoch ms at which the rollout started. */
  origin: number;
  /** The latest gate results, to print next to each decision. */
  gates: () => readonly GateView[] | undefined;
  /** Where lines go; nothing is printed when undefined (--json). */
  write: ((line: string) => void) | undefined;
  /** Real milliseconds between two progress lines while a stage waits. */
  progressEveryMs?: number;
}

interface ControllerFields {
  stage?: number | null;
  percent?: number;
  sessions?: { baseline: number; canary: number };
  waitingFor?: string[];
  toStage?: number | null;
  toPercent?: number;
  gates?: string;
}

/**
 * The readable side of the demo: the controller's progress log turned into a
 * timeline. Every decision (advance, hold, rollback, promote) prints the gate
 * table that led to it; while a stage waits, a progress line now and then.
 */
export class Timeline implements ProgressLogger {
  private lastProgress = 0;
  private pausedShown = false;
  private readonly realStart = performance.now();
  readonly warnings: string[] = [];

  constructor(private readonly options: TimelineOptions) {}

  info(fields: Record<string, unknown>, message: string): void {
    this.event(fields as ControllerFields, message);
  }

  warn(fields: Record<string, unknown>, message: string): void {
    this.event(fields as ControllerFields, message);
  }

  error(fields: Record<string, unknown>, message: string): void {
    this.warnings.push(message);
    this.line(`! ${message} ${JSON.stringify(fields)}`);
  }

  /** A line with the simulated and the real time in front. */
  line(text: string): void {
    if (!this.options.write) return;
    const simulated = formatSimulated((this.options.clock.now().getTime() - this.options.origin) / 1000);
    const real = ((performance.now() - this.realStart) / 1000).toFixed(1);
    this.options.write(`  ${simulated.padStart(7)} ${`(${real}s)`.padStart(8)}  ${text}`);
  }

  /** Text without a time stamp, indented under the last line. */
  detail(text: string): void {
    this.options.write?.(`                     ${text}`);
  }

  private event(fields: ControllerFields, message: string): void {
    const where = `stage ${(fields.stage ?? 0) + 1} at ${formatPercent(fields.percent ?? 0)}`;
    const sessions = fields.sessions ? `sessions this stage: baseline ${fields.sessions.baseline}, canary ${fields.sessions.canary}` : "";
    if (message.startsWith("not advancing yet")) {
      const now = performance.now();
      if (now - this.lastProgress < (this.options.progressEveryMs ?? 1500)) return;
      this.lastProgress = now;
      this.line(`${where} · ${sessions} · waiting for ${(fields.waitingFor ?? []).join(", ")}`);
      return;
    }
    if (message.startsWith("stage passed")) {
      this.line(`${where} · ${sessions} · no gate fails; those due by the next stage pass or were accepted`);
      this.printGates();
      this.line(`▶ advance to stage ${(fields.toStage ?? 0) + 1}: canary ${formatPercent(fields.percent ?? 0)} → ${formatPercent(fields.toPercent ?? 0)}`);
      this.lastProgress = performance.now();
      return;
    }
    if (message.startsWith("hold gate firing")) {
      this.line(`${where} · ${sessions}`);
      this.printGates();
      this.line(`⏸ HOLD: ${fields.gates ?? "a hold gate"} failing; progression paused, traffic unchanged`);
      return;
    }
    if (message.startsWith("rollback gate firing")) {
      this.line(`${where} · ${sessions}`);
      this.printGates();
      this.line(`⏮ ROLLBACK: ${fields.gates ?? "a rollback gate"} failing; canary ${formatPercent(fields.percent ?? 0)} → 0%`);
      return;
    }
    if (message.startsWith("all stages passed")) {
      this.line(`${where} · ${sessions}`);
      this.printGates();
      this.line("✔ PROMOTED: every stage passed; the canary is the new baseline");
      return;
    }
    if (message.startsWith("paused")) {
      // The controller says this on every tick while held; once is enough.
      if (this.pausedShown) return;
      this.pausedShown = true;
      this.line(`${where} · paused; still watching the rollback gates`);
      return;
    }
    if (message === "rollout started") {
      this.line(`▶ rollout started at ${formatPercent(fields.percent ?? 0)}`);
      return;
    }
    // Anything else the controller says (gate source failures, paused) is worth seeing as is.
    this.line(`${message}${fields.waitingFor ? `: ${fields.waitingFor.join(", ")}` : ""}`);
  }

  private printGates(): void {
    for (const result of this.options.gates() ?? []) this.detail(formatGate(result));
  }
}
