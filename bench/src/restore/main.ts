/**
 * Restore: how soon a router hears a rollout state directory that was restored from a backup
 * (`rm -rf dir && cp -r backup dir`, as an operator or a volume restore does), against how soon
 * it hears an ordinary write (the baseline, measured in the same rounds). Before the directory
 * watcher re-armed itself, fs.watch went deaf once its directory was removed and a restore
 * reached routers only at the next poll (2 s by default).
 *   node src/restore/main.ts [--rounds 30] [--poll-ms 2000]
 */
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_STAGE_PERCENTS, FileStore, setPercent, stagesFrom, start, transition, type StateEvent } from "@agent-canary/rollout-state";
import { fmt, table, writeResult } from "../lib/report.ts";
import { quantile } from "../lib/stats.ts";

const { values } = parseArgs({ options: { rounds: { type: "string", default: "30" }, "poll-ms": { type: "string", default: "2000" } } });
const rounds = Number(values.rounds);
const pollMs = Number(values["poll-ms"]);
if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds ${values.rounds}: give a whole number of 1 or more`);
if (!Number.isInteger(pollMs) || pollMs < 100) throw new Error(`--poll-ms ${values["poll-ms"]}: give a whole number of 100 or more`);

/** Resolves with the time of the first event `match` accepts; a generous guard instead of hanging. */
function nextEvent(events: { on: ((event: StateEvent) => void) | undefined }, match: (event: StateEvent) => boolean, what: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const guard = setTimeout(() => reject(new Error(`no ${what} within 30 s`)), 30_000);
    events.on = (event) => {
      if (!match(event)) return;
      clearTimeout(guard);
      events.on = undefined;
      resolve(performance.now());
    };
  });
}

const base = await mkdtemp(join(tmpdir(), "bench-restore-"));
const dir = join(base, "state");
const backup = join(base, "backup");
const writer = new FileStore({ dir });
const router = new FileStore({ dir, pollIntervalMs: pollMs });
const events: { on: ((event: StateEvent) => void) | undefined } = { on: undefined };
const revisionIs = (revision: number) => (event: StateEvent) => event.kind === "state" && event.state.revision === revision;
const write = () => transition(writer, "shop", (state, now) => setPercent("shop", ((state?.canaryPercent ?? 0) + 1) % 100)(state, now), { by: "bench", reason: "bump" });
const normalMs: number[] = [];
const restoreMs: number[] = [];
try {
  await transition(writer, "shop", start({ deployment: "shop", baseline: { hash: "00000000000000aa" }, canary: { hash: "00000000000000bb" }, stages: stagesFrom(DEFAULT_STAGE_PERCENTS, 60, 10) }), { by: "bench", reason: "seed" });
  await cp(dir, backup, { recursive: true });
  const first = nextEvent(events, revisionIs(0), "first state");
  const stop = router.watch("shop", (event) => events.on?.(event));
  await first;
  for (let round = 0; round < rounds; round++) {
    // Baseline: an ordinary write, heard through the same watcher.
    const before = (await router.read("shop"))?.revision ?? 0;
    const heard = nextEvent(events, revisionIs(before + 1), "ordinary write");
    const t0 = performance.now();
    await write();
    normalMs.push((await heard) - t0);
    // Restore: the directory goes, the router says so, the backup (revision 0) comes back.
    const missing = nextEvent(events, (event) => event.kind === "missing", "missing state");
    await rm(dir, { recursive: true });
    await missing;
    const restored = nextEvent(events, revisionIs(0), "restored state");
    const t1 = performance.now();
    await cp(backup, dir, { recursive: true });
    restoreMs.push((await restored) - t1);
  }
  stop();
} finally {
  await router.close();
  await writer.close();
  await rm(base, { recursive: true, force: true });
}

const row = (label: string, ms: number[]): string[] => [label, String(ms.length), fmt(quantile(ms, 0.5), 2), fmt(quantile(ms, 0.9), 2), fmt(Math.max(...ms), 2)];
const ratio = quantile(restoreMs, 0.5) / quantile(normalMs, 0.5);
writeResult(
  "restore",
  "Restore: a state directory restored from a backup reaches a router",
  `${table(["event (FileStore, one router watching)", "rounds", "median ms", "p90 ms", "max ms"], [
    row("ordinary write (baseline): compare-and-set, fsync, rename; router hears the new revision", normalMs),
    row("restore: rm -rf dir, router hears `missing`, cp -r backup dir; router hears the restored revision", restoreMs),
  ])}

Median restore / median ordinary write: **${fmt(ratio, 2)}x**. Rounds interleave the two. The poll (${pollMs} ms) is
the bound a restore waited for before the directory watcher re-armed itself after its directory was removed; a restore
heard well under it came by fs.watch events.
`,
);
