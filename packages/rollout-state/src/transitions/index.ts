export * from "./change.js";
export * from "./actions.js";
export * from "./transition.js";
