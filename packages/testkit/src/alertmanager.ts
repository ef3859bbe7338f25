import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { findBinary } from "./binaries.js";
import { freePort } from "./ports.js";
import { httpOk, makeTempDir, spawnServer, type ServerHandle } from "./process.js";

export interface AlertmanagerHandle extends ServerHandle {
  /** POST alerts through Alertmanager's v2 API, as Prometheus would. */
  postAlerts(alerts: PostableAlert[]): Promise<void>;
}

export interface PostableAlert {
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  startsAt?: string;
  endsAt?: string;
  generatorURL?: string;
}

/**
 * A single Alertmanager (clustering off) on loopback with the given config.
 * Files the config needs (e.g. a bearer token file) can be written into
 * `files`, relative to its working directory.
 */
export async function startAlertmanager(configYaml: string, files: Record<string, string> = {}): Promise<AlertmanagerHandle> {
  const port = await freePort();
  const dir = await makeTempDir("alertmanager");
  for (const [name, content] of Object.entries(files)) await writeFile(join(dir, name), content, { mode: 0o600 });
  const configFile = join(dir, "alertmanager.yml");
  await writeFile(configFile, configYaml);
  const handle = await spawnServer({
    name: "alertmanager",
    command: findBinary("AGENT_CANARY_ALERTMANAGER_BIN", ["prometheus-alertmanager", "alertmanager"]),
    args: [
      `--config.file=${configFile}`,
      `--storage.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--cluster.listen-address=",
      "--log.level=info",
    ],
    port,
    dir,
    ready: () => httpOk(`http://127.0.0.1:${port}/-/ready`),
  });
  const postAlerts = async (alerts: PostableAlert[]): Promise<void> => {
    const response = await fetch(`${handle.url}/api/v2/alerts`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(alerts),
    });
    if (!response.ok) throw new Error(`alertmanager refused alerts: ${response.status} ${await response.text()}`);
  };
  return Object.assign(handle, { postAlerts });
}
