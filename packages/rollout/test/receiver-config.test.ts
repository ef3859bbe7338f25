import { readFile, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ReceiverConfigSchema } from "@agent-canary/rollout";
import { describe, expect, it } from "vitest";
import { receiverConfigFrom } from "../src/cli/receiver-command.js";

describe("receiver config", () => {
  it("takes the README's config file example as written", async () => {
    const readme = await readFile(join(import.meta.dirname, "..", "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("### Config file"));
    const yaml = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
    if (!yaml) throw new Error("no yaml example under '### Config file'");
    const dir = await mkdtemp(join(tmpdir(), "agent-canary-config-"));
    const path = join(dir, "receiver.yaml");
    await writeFile(path, yaml);
    const secret = join(dir, "grafana-secret");
    await writeFile(secret, "grafana-secret-0123456789\n");
    const config = ReceiverConfigSchema.parse(await receiverConfigFrom({ config: path, grafanaSecretFile: secret, logLevel: "info" }, {}));
    expect(config).toMatchObject({
      host: "0.0.0.0",
      store: "redis+sentinel://sentinel-0:26379,sentinel-1:26379/agent-canary",
      redisWaitReplicas: 1,
      requireDurableStore: true,
      alertMatchers: [{ name: "cluster", op: "=", value: "eu1" }],
      limits: { bodyLimitBytes: 524288, maxConnections: 512, headersTimeoutMs: 10_000 },
      auth: { grafana: { timestampHeaders: ["X-Grafana-Alerting-Timestamp"], requireTimestamp: true } },
    });
  });

  it("defaults: all interfaces, 60 s skew, timestamps required, and --loopback for 127.0.0.1", async () => {
    const token = { tokenEnv: "T", logLevel: "info" };
    const env = { T: "token-0123456789abcdef" };
    expect(ReceiverConfigSchema.parse(await receiverConfigFrom(token, env))).toMatchObject({ host: "0.0.0.0", staleAlertSkewSeconds: 60, limits: { bodyLimitBytes: 512 * 1024 } });
    expect(ReceiverConfigSchema.parse(await receiverConfigFrom({ ...token, loopback: true }, env)).host).toBe("127.0.0.1");
    await expect(receiverConfigFrom({ ...token, loopback: true, host: "0.0.0.0" }, env)).rejects.toThrow(/--host and --loopback/);
    await expect(receiverConfigFrom({ ...token, tlsCertFile: "/nonexistent.crt", tlsKeyFile: "/nonexistent.key" }, env)).rejects.toThrow(/--tls-cert-file \/nonexistent.crt: cannot read it \(ENOENT\)/);
  });
});
