// Prints the one-line summary CI reads ("N passed, N failed[, N skipped]")
// from vitest's JSON report. A missing report means the runner itself died.
import { readFileSync } from "node:fs";

const file = process.argv[2] ?? ".vitest-report.json";
let report;
try {
  report = JSON.parse(readFileSync(file, "utf8"));
} catch (error) {
  console.log("0 passed, 1 failed");
  console.error(`test-summary: no vitest report at ${file} (${error.message}); the test run did not finish`);
  process.exit(1);
}
const passed = report.numPassedTests ?? 0;
// Suites that fail to load have no tests but must still count as a failure.
const brokenSuites = (report.testResults ?? []).filter((r) => r.status === "failed" && (r.assertionResults ?? []).length === 0).length;
const failed = (report.numFailedTests ?? 0) + brokenSuites;
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
