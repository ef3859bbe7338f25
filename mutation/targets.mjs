// What scripts/mutation.sh mutates per package, and with which tests.
// `mutate`: the package's core modules (globs relative to the repo root).
// `tests`: the package's own test files. `skipTests`: test files that cannot see a
// mutant because they spawn `node` on a built dist/ or a fixture that imports it;
// Stryker's mutants live in the sandbox's TypeScript sources, so those tests would
// only cost time (they run unmutated code and always pass). `incremental`: keep Stryker's
// incremental file (reports/mutation/<package>.incremental.json) so a re-run tests again
// only the mutants whose code or covering tests changed. A narrowed run (files given to
// scripts/mutation.sh) writes <package>.narrowed.json and .narrowed.incremental.json instead.
export const TARGETS = {
  conventions: {
    mutate: ["packages/conventions/src/routing.ts", "packages/conventions/src/version.ts", "packages/conventions/src/strata.ts", "packages/conventions/src/field-messages.ts"],
    tests: ["packages/conventions/test/**/*.test.ts"],
    skipTests: [],
  },
  // The transitions only. The store tests (file, Redis, crash, multi-process) are left out:
  // they reach the transitions only through seeding, and under Stryker's instrumentation
  // on a loaded machine the FileStore contention test misses its 10 s lock wait, which
  // Stryker would count as a killed mutant. The stores get their own run in phase 2.
  "rollout-state": {
    mutate: ["packages/rollout-state/src/transitions/*.ts"],
    tests: ["packages/rollout-state/test/transition*.test.ts"],
    skipTests: [],
  },
  // The file store's lock: taking it, the wait and its error, the lease and its renewal
  // (lock.ts), judging a lock stale and breaking it, with breakers' claims (lock-break.ts),
  // and the sweep of leftovers of writers killed mid-acquire (lock-sweep.ts). lock-io.ts
  // (node:fs/promises and the clock, bound once; tests replace parts) holds no decision and
  // is left out: its one behaviour, the real sleep, could only be seen on a wall clock.
  // Tests: the lock suites (their interleavings go through lock-io), the FileStore
  // suite (its conformance runs 16 concurrent writers), the full-disk test and the store
  // contract (staged files). Left out for run time on the shared 2 cores: crash-safety
  // and multi-process spawn writers that run the built dist/ (they see no mutant).
  // Incremental: a re-run tests again only the mutants whose code or covering tests changed.
  "rollout-state-stores": {
    mutate: [
      "packages/rollout-state/src/file/lock.ts",
      "packages/rollout-state/src/file/lock-break.ts",
      "packages/rollout-state/src/file/lock-sweep.ts",
    ],
    tests: [
      "packages/rollout-state/test/file-lock*.test.ts",
      "packages/rollout-state/test/file-store.test.ts",
      "packages/rollout-state/test/full-disk.test.ts",
      "packages/rollout-state/test/store-contract.test.ts",
    ],
    skipTests: [],
    incremental: true,
  },
  // The file store around its lock: stored-state validation (parse.ts), the store spec
  // (openStore), the FileStore class and its options, the committed-state read and crash recovery, its
  // fsync and last-line helpers (durable.ts) and its fs.watch watcher.
  // Left out for run time on the shared 2 cores (711 mutants with them took close to an
  // hour at one worker, so a run and a re-run did not fit one session): the lock owner's
  // identity (lock-owner.ts, the lock's: store-lock-owner.test.ts and lockmut's lock
  // suites test it), staged-file names (paths.ts), and the small helpers the Redis store
  // shares (keyed-queue.ts, watch-events.ts, staleness.ts, timeout.ts), each tested
  // directly in store-helpers.test.ts. Add them to `mutate` for a longer run.
  "rollout-state-file-store": {
    mutate: [
      "packages/rollout-state/src/parse.ts",
      "packages/rollout-state/src/open-store.ts",
      "packages/rollout-state/src/file/file-store.ts",
      "packages/rollout-state/src/file/options.ts",
      "packages/rollout-state/src/file/committed.ts",
      "packages/rollout-state/src/file/recovery.ts",
      "packages/rollout-state/src/file/durable.ts",
      "packages/rollout-state/src/file/watch.ts",
      "packages/rollout-state/src/file/dir-watch.ts",
    ],
    tests: [
      "packages/rollout-state/test/file-store*.test.ts",
      "packages/rollout-state/test/crash-recovery.test.ts",
      "packages/rollout-state/test/full-disk.test.ts",
      "packages/rollout-state/test/store-*.test.ts",
    ],
    skipTests: [],
    incremental: true,
  },
  // The Redis store: connection spec and client (connection.ts), the store with its Lua
  // scripts, watchers and durability report, with the Redis suites on a real redis-server
  // and store-spec.test.ts (the spec parser and what ioredis is given). The Sentinel and
  // Cluster contract suites are skipped: 3 to 6 servers start per mutant; the Cluster
  // branch is covered by redis-cluster-durability.test.ts (one cluster, one test). lazy-ioredis.test.ts is
  // not listed: it spawns the built dist/, so it sees no mutant.
  // Run time: at one worker on the shared machine (load 8-9) the 517 mutants did not fit in
  // 80 minutes (2026-11-30: 464 tested, then stopped). Survivors cost most (every covering
  // test runs, and the Redis suites start a server per file); 8 to 2 mutants a minute.
  // Budget about two hours, or narrow `mutate` to one file per run.
  "rollout-state-redis": {
    mutate: [
      "packages/rollout-state/src/redis/connection.ts",
      "packages/rollout-state/src/redis/redis-store.ts",
      "packages/rollout-state/src/redis/watchers.ts",
      "packages/rollout-state/src/redis/durability.ts",
      "packages/rollout-state/src/redis/scripts.ts",
      "packages/rollout-state/src/redis/error-kind.ts",
    ],
    tests: [
      "packages/rollout-state/test/redis-*.test.ts",
      "packages/rollout-state/test/store-spec.test.ts",
    ],
    skipTests: ["packages/rollout-state/test/redis-cluster.test.ts", "packages/rollout-state/test/redis-sentinel.test.ts"],
    incremental: true,
  },
  // Routing, pinning and fail-closed handling, and the loop detector, with the tests that
  // drive the router event by event. Nearly every other instrumentation test builds a whole
  // runtime and so covers the router; run per mutant they made the run take hours on 2
  // shared cores (real Redis hangs in routing.test.ts, SDK stand-ins in llm-calls, a real
  // Prometheus in gate-inputs-prometheus), so they are left out here: they reach these
  // modules incidentally, through whole sessions, and stay in the default test run.
  instrumentation: {
    mutate: ["packages/instrumentation/src/routing/*.ts", "packages/instrumentation/src/guards/loop-detector.ts"],
    tests: [
      "packages/instrumentation/test/router.mutation.test.ts",
      "packages/instrumentation/test/routing-vectors.test.ts",
      "packages/instrumentation/test/loop-detector*.test.ts",
    ],
    skipTests: [],
  },
  // Cost accounting: the price book, the @pydantic/genai-prices lookup (the hand-written
  // prefix lookup of issue 14 is gone; the dataset matches model names itself) and the
  // zod shapes its entries are checked against (prices-refresh.test.ts feeds refreshed data).
  "instrumentation-cost": {
    mutate: [
      "packages/instrumentation/src/cost/price-book.ts",
      "packages/instrumentation/src/cost/dataset.ts",
      "packages/instrumentation/src/cost/dataset-schema.ts",
    ],
    tests: ["packages/instrumentation/test/prices*.test.ts"],
    skipTests: [],
  },
  // The receiver's auth: bearer token, Grafana HMAC signature, replay protection.
  // receiver-process.test.ts spawns the built CLI.
  receiver: {
    mutate: [
      "packages/rollout/src/receiver/auth.ts",
      "packages/rollout/src/receiver/grafana-signature.ts",
      "packages/rollout/src/receiver/replay-cache.ts",
    ],
    tests: ["packages/rollout/test/receiver-*.test.ts"],
    skipTests: ["packages/rollout/test/receiver-process.test.ts"],
    incremental: true,
  },
  // gate-rules config validation, in three runs so each stays bounded on the shared
  // machine (the four files at once took over an hour at one worker). Only the config
  // tests run, and re-runs of resolve and load are incremental
  // (reports/mutation/<target>.incremental.json): Stryker re-tests only the mutants whose
  // code or covering tests changed. After adding tests that reach a static mutant (one in
  // a module-level constant), re-run with --force or delete that file: see schema below.
  // resolve.ts: the rules zod cannot express (last stage 100%, ratio sides, duplicate
  // names, alpha split, ranges).
  "gate-rules-config": {
    mutate: ["packages/gate-rules/src/config/resolve.ts"],
    tests: ["packages/gate-rules/test/config*.test.ts"],
    skipTests: [],
    incremental: true,
  },
  // schema.ts: the shape of gates.yaml and the message for each bad field. Its mutants are
  // nearly all static (built once at import), so each one runs every config test, and it is
  // not incremental: Stryker has no per-test coverage for a static mutant, so it reused the
  // "survived" of 28 of them after tests that kill them were added (seen on 2026-11-29).
  "gate-rules-config-schema": {
    mutate: ["packages/gate-rules/src/config/schema.ts"],
    tests: ["packages/gate-rules/test/config*.test.ts"],
    skipTests: [],
  },
  // load.ts (YAML parsing, line numbers, field paths), messages.ts (the message of a field
  // whose schema gives none), duration.ts and environment.ts
  // (label matchers and `by` labels). presets.ts is data (tables of numbers).
  "gate-rules-config-load": {
    mutate: [
      "packages/gate-rules/src/config/load.ts",
      "packages/gate-rules/src/config/messages.ts",
      "packages/gate-rules/src/config/duration.ts",
      "packages/gate-rules/src/config/environment.ts",
    ],
    tests: ["packages/gate-rules/test/config*.test.ts"],
    skipTests: [],
    incremental: true,
  },
  // gate-rules statistics: the always-valid boundary and the per-test formulas the
  // evaluator and the PromQL are built from. The differential and simulation suites
  // (real Prometheus, Monte Carlo) are left out for run time; evaluator tests and the
  // stats property tests cover these files, and rule-references.test.ts the names of
  // the formulas' intermediate values (each must become a recorded series the rules read).
  "gate-rules-stats": {
    mutate: ["packages/gate-rules/src/stats/statistics/*.ts"],
    tests: ["packages/gate-rules/test/evaluator.test.ts", "packages/gate-rules/test/stats*.test.ts", "packages/gate-rules/test/rule-references.test.ts"],
    skipTests: [],
  },
  // gate-rules PromQL generation, all of src/prometheus but names.ts (a table of series
  // names, which rule-references.test.ts checks): the renderer of the gate formulas, the
  // selectors, the input layer, each gate's recording rules, the alerts, the shadow gate,
  // the rule files and the controller's reading query.
  // Tests: in-process ones only. A PromQL-subset evaluator (test/helpers/promql-subset.ts;
  // a range function reads the series' one value as its result over the range) runs every
  // gate's rules against the TypeScript evaluator (promql-render), the whole chain from the
  // agents' raw counters of several rollouts to verdicts, alerts and the controller's reading
  // (prometheus-pipeline), every alert (prometheus-alerts), the input layer
  // (prometheus-inputs), the shadow rules (prometheus-shadow) and the reading query
  // (gate-verdicts); rule-references checks that every series read is recorded before it.
  // Left out for run time (each starts real binaries, seconds to minutes per mutant):
  // promtool-rules, differential, prometheus-backfill and vmalert-rules (Prometheus,
  // promtool, VictoriaMetrics), alertmanager*, kubernetes-resources and cli (amtool, the
  // built CLI). runbook.test.ts generated its rule files while it was collected, which made
  // every mutant "static" (run against every test); it now generates inside its tests and can
  // join `tests` (not added yet: no run has measured it). generated-files.test.ts is left
  // out on purpose: it compares text with the committed copies, so it would "kill" any
  // change to the output without saying whether the rules still work.
  "gate-rules-promql": {
    mutate: [
      "packages/gate-rules/src/prometheus/render.ts",
      "packages/gate-rules/src/prometheus/selectors.ts",
      "packages/gate-rules/src/prometheus/gate-records.ts",
      "packages/gate-rules/src/prometheus/verdicts.ts",
      "packages/gate-rules/src/prometheus/inputs.ts",
      "packages/gate-rules/src/prometheus/alerts.ts",
      "packages/gate-rules/src/prometheus/shadow.ts",
      "packages/gate-rules/src/prometheus/rules.ts",
    ],
    tests: [
      "packages/gate-rules/test/rule-references.test.ts",
      "packages/gate-rules/test/promql-render.test.ts",
      "packages/gate-rules/test/prometheus-alerts.test.ts",
      "packages/gate-rules/test/prometheus-inputs.test.ts",
      "packages/gate-rules/test/gate-verdicts.test.ts",
      "packages/gate-rules/test/prometheus-pipeline.test.ts",
      "packages/gate-rules/test/prometheus-shadow.test.ts",
      "packages/gate-rules/test/evaluator.test.ts",
      "packages/gate-rules/test/grafana-alert-rules.test.ts",
    ],
    skipTests: [],
  },
};

/** The target for a package name, or an error that lists the known ones. */
export function targetFor(name) {
  const target = TARGETS[name];
  if (!target) {
    throw new Error(`no mutation target for package "${name}"; known: ${Object.keys(TARGETS).join(", ")} (add one to mutation/targets.mjs)`);
  }
  return target;
}
