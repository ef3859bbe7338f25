import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

/**
 * Finds a server binary on PATH. Debian names Alertmanager
 * `prometheus-alertmanager`; upstream tarballs name it `alertmanager`.
 * An env var (e.g. AGENT_CANARY_PROMETHEUS_BIN) overrides the search.
 */
export function findBinary(envVar: string, candidates: string[]): string {
  const override = process.env[envVar];
  if (override) return override;
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    for (const name of candidates) {
      const path = join(dir, name);
      try {
        accessSync(path, constants.X_OK);
        return path;
      } catch {
        // not here; keep looking
      }
    }
  }
  throw new Error(
    `none of ${candidates.join(", ")} is on PATH. Install the servers (Debian and Ubuntu: ` +
      "`sudo apt-get install prometheus prometheus-alertmanager redis-server`; in a clone of agent-canary: " +
      `\`bash scripts/install-servers.sh\`), or point ${envVar} at the binary.`,
  );
}
