/**
 * CLI start-up: wall time and peak RSS of `agent-canary --help`, `validate` and
 * `rollout status`, for the binary as shipped (each command loads its package on
 * use) against the eager program (every package loaded before parsing, as the
 * binary did before), measured in the same run, interleaved, median of N rounds.
 * A second table: `rollout status` (and its --help) through the rollout package's
 * CLI entry (`@agent-canary/rollout/cli`, what the binary loads) against its root
 * entry (which also loads the receiver's server and the rule generator, as before).
 *   pnpm build && node bench/src/cli-startup/main.ts [--rounds 9]
 * Prints a table; it writes no results file.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { machineLine, table } from "../lib/report.ts";
import { median } from "../lib/stats.ts";

const CLI_DIST = fileURLToPath(new URL("../../../packages/cli/dist/", import.meta.url));
const ROLLOUT_DIST = fileURLToPath(new URL("../../../packages/rollout/dist/", import.meta.url));

/** Ends the process with the code of the shared exit table (the program throws a CommanderError for --help too). */
const EXIT = `.catch((e) => process.exit(typeof e?.exitCode === "number" ? e.exitCode : 1));`;
const GATES = fileURLToPath(new URL("../../../packages/gate-rules/examples/gates.yaml", import.meta.url));

interface Sample {
  readonly ms: number;
  readonly rssMiB: number;
}

/** Files the runs need: the eager entry point, the RSS reporter, an empty file store. */
function setUp(dir: string): { lazy: string; eager: string; rolloutRoot: string; rssHook: string; store: string } {
  const eager = join(dir, "eager-bin.mjs");
  writeFileSync(eager, `import { buildProgram } from ${JSON.stringify(join(CLI_DIST, "program.js"))};\nawait buildProgram().parseAsync(process.argv)${EXIT}\n`);
  const rolloutRoot = join(dir, "rollout-root-bin.mjs");
  writeFileSync(
    rolloutRoot,
    `import { programShell } from ${JSON.stringify(join(CLI_DIST, "startup/shell.js"))};\n` +
      `const { addRolloutCommands } = await import(${JSON.stringify(join(ROLLOUT_DIST, "index.js"))});\n` +
      `await addRolloutCommands(programShell()).parseAsync(process.argv)${EXIT}\n`,
  );
  const rssHook = join(dir, "rss.mjs");
  writeFileSync(rssHook, `process.on("exit", () => process.stderr.write("\\n@@rss " + process.resourceUsage().maxRSS + "\\n"));\n`);
  return { lazy: join(CLI_DIST, "bin.js"), eager, rolloutRoot, rssHook, store: `file:${join(dir, "state")}` };
}

function measure(entry: string, args: readonly string[], rssHook: string, cwd: string): Sample {
  const started = performance.now();
  const res = spawnSync(process.execPath, ["--import", rssHook, entry, ...args], { encoding: "utf8", cwd, timeout: 120_000 });
  const ms = performance.now() - started;
  if (res.status !== 0) throw new Error(`${entry} ${args.join(" ")} exited ${res.status}: ${res.stderr}`);
  const kib = Number(/@@rss (\d+)/.exec(res.stderr)?.[1]);
  if (!Number.isFinite(kib)) throw new Error(`no RSS reported by ${entry} ${args.join(" ")}`);
  return { ms, rssMiB: kib / 1024 };
}

/** Each command through two entry points: one warm-up each (file cache), then interleaved rounds so load changes hit both alike. */
function compare(commands: readonly { label: string; args: string[] }[], entry: string, baseline: string, rssHook: string, dir: string, rounds: number): string[][] {
  return commands.map((c) => {
    const ours: Sample[] = [];
    const base: Sample[] = [];
    measure(entry, c.args, rssHook, dir);
    measure(baseline, c.args, rssHook, dir);
    for (let r = 0; r < rounds; r++) {
      ours.push(measure(entry, c.args, rssHook, dir));
      base.push(measure(baseline, c.args, rssHook, dir));
    }
    const m = (s: Sample[], k: keyof Sample) => median(s.map((x) => x[k]));
    return [
      c.label,
      `${m(ours, "ms").toFixed(0)} ms / ${m(ours, "rssMiB").toFixed(1)} MiB`,
      `${m(base, "ms").toFixed(0)} ms / ${m(base, "rssMiB").toFixed(1)} MiB`,
      `${(m(ours, "ms") / m(base, "ms")).toFixed(2)}x / ${(m(ours, "rssMiB") / m(base, "rssMiB")).toFixed(2)}x`,
    ];
  });
}

function main(): void {
  const { values } = parseArgs({ options: { rounds: { type: "string", default: "9" } } });
  const rounds = Number(values.rounds);
  const dir = mkdtempSync(join(tmpdir(), "cli-startup-"));
  try {
    const files = setUp(dir);
    const commands: { label: string; args: string[] }[] = [
      { label: "agent-canary --help", args: ["--help"] },
      { label: "agent-canary validate gates.yaml", args: ["validate", GATES] },
      { label: "agent-canary rollout status (file store)", args: ["rollout", "status", "--store", files.store] },
    ];
    const rows = compare(commands, files.lazy, files.eager, files.rssHook, dir, rounds);
    const rolloutRows = compare(
      [
        { label: "agent-canary rollout status --help", args: ["rollout", "status", "--help"] },
        { label: "agent-canary rollout status (file store)", args: ["rollout", "status", "--store", files.store] },
      ],
      files.lazy,
      files.rolloutRoot,
      files.rssHook,
      dir,
      rounds,
    );
    process.stdout.write(
      `CLI start-up, median of ${rounds} interleaved runs each (one warm-up), on ${machineLine().replace("when the file was written", "at the start")}.\n` +
        "Lazy: the agent-canary binary (a command loads its package when it runs). Eager: the same program with every package imported before parsing (the binary before).\n\n" +
        table(["command", "lazy: time / peak RSS", "eager: time / peak RSS", "lazy / eager"], rows) +
        "\n\nThe rollout commands through the package's CLI entry (the binary) against its root entry (receiver server and rule generator loaded too, as before):\n\n" +
        table(["command", "CLI entry: time / peak RSS", "root entry: time / peak RSS", "CLI / root"], rolloutRows) +
        "\n",
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
