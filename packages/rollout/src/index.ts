export * from "./receiver/index.js";
