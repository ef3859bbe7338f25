import type { Command } from "commander";
import { addDemoForwarder } from "../demo-command.js";
import { CATALOG, type CatalogEntry } from "./catalog.js";
import { programShell } from "./shell.js";

/**
 * The program `bin` runs: every command is a stand-in that loads its package
 * only when it runs. Loading every package up front cost the whole CLI's start-up
 * on each call (about 2 s and 100+ MiB for `--help`); now `--help` and
 * `--version` load none, and a command loads only its own package
 * (bench/src/cli-startup.ts measures both ways).
 */
export function buildLazyProgram(argv: readonly string[] = process.argv): Command {
  const program = programShell();
  addDemoForwarder(program);
  for (const entry of CATALOG) addStandIn(program, entry, argv);
  const terms = new Map(CATALOG.map((e) => [e.name, e.term]));
  program.configureHelp({ subcommandTerm: (cmd) => terms.get(cmd.name()) ?? `${cmd.name()}${cmd.registeredArguments.length ? " " + cmd.usage() : ""}` });
  return program;
}

/**
 * Runs the CLI as `bin` does. `help <command>` goes straight to the real command:
 * commander answers it synchronously from the stand-in, which has no help of its own.
 */
export async function runCli(argv: readonly string[] = process.argv): Promise<Command> {
  const [first, second] = argv.slice(2);
  const entry = first === "help" ? CATALOG.find((e) => e.name === second) : undefined;
  if (entry) return withPackage(entry, argv);
  return buildLazyProgram(argv).parseAsync([...argv]);
}

/** The program with one package's real commands, parsing the whole command line. */
async function withPackage(entry: CatalogEntry, argv: readonly string[]): Promise<Command> {
  const register = await entry.from.load();
  return register(programShell()).parseAsync([...argv]);
}

/**
 * A command that takes any options and arguments, loads its package, and parses
 * the whole command line again with the real command (its own flags, help,
 * validation and action), so what a user sees is exactly the package's command.
 */
function addStandIn(program: Command, entry: CatalogEntry, argv: readonly string[]): void {
  program
    .command(entry.name)
    .description(entry.description)
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .action(async () => {
      await withPackage(entry, argv);
    });
}
