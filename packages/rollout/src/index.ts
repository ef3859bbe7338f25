export * from "./receiver/index.js";
export * from "./controller/index.js";
export * from "./cli/index.js";
export { ConfigFileError, readYamlFile } from "./yaml-file.js";
