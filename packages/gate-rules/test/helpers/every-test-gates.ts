/**
 * gates.yaml lines that, with the recommended preset's gates, give every test
 * (mean, score, count), both comparisons and both methods: the statistics,
 * rendering and rule-reference tests all run over these.
 */
export const EVERY_TEST_GATES = `gates:
  - { kind: turns_per_session, name: turns_delta, comparison: delta, threshold: 0.5 }
  - { kind: judge_quality, name: quality_ratio, comparison: ratio, threshold: 0.9 }
  - { kind: task_completion_rate, name: completion_delta, comparison: delta, threshold: 0.02 }
  - { kind: error_rate, name: errors_ratio, comparison: ratio, threshold: 1.3 }
  - { kind: loop_rate, name: loops_strict, threshold: 1.5, rho: 3, alpha: 0.001, passAlpha: 0.2 }
  - { kind: cost_per_session, name: cost_fixed, method: threshold_only }
  - { kind: error_rate, name: errors_fixed, comparison: delta, threshold: 0.01, method: threshold_only }
  - { kind: cost_geometric_mean, name: typical_strict, threshold: 1.1 }
`;
