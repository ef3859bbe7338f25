export { buildProgram, type ProgramOptions } from "./program.js";
export { DEMO_PACKAGE, loadDemo, type DemoModule } from "./demo-command.js";
export { cliReference, commandReference } from "./reference/command-reference.js";
