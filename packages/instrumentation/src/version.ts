/** Reported as the instrumentation scope version. Keep in step with package.json. */
export const PACKAGE_NAME = "@agent-canary/instrumentation";
export const PACKAGE_VERSION = "0.1.0";
