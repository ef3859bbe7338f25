export { buildProgram, type ProgramOptions } from "./program.js";
export { buildLazyProgram, runCli } from "./startup/lazy-program.js";
export { CATALOG, type CatalogEntry } from "./startup/catalog.js";
export { DEMO_PACKAGE, loadDemo, type DemoModule } from "./demo-command.js";
export { cliReference, commandReference } from "./reference/command-reference.js";
