export * from "./receiver/index.js";
export * from "./controller/index.js";
export * from "./cli/index.js";
