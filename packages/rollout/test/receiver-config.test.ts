import { execFileSync } from "node:child_process";
import { readFile, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ReceiverConfigSchema } from "@agent-canary/rollout";
import { describe, expect, it } from "vitest";
import { describeConfigIssue, receiverConfigFrom, type ReceiverFlags } from "../src/cli/receiver-flags.js";

describe("receiver config", () => {
  it("takes the README's config file example as written", async () => {
    const readme = await readFile(join(import.meta.dirname, "..", "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("### Config file"));
    const yaml = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
    if (!yaml) throw new Error("no yaml example under '### Config file'");
    const dir = await mkdtemp(join(tmpdir(), "agent-canary-config-"));
    const path = join(dir, "receiver.yaml");
    // The example's TLS files, made here (the receiver checks they are a certificate and its key).
    expect(yaml).toContain("/etc/agent-canary/tls.crt");
    execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", join(dir, "tls.key"), "-out", join(dir, "tls.crt"), "-days", "2", "-subj", "/CN=localhost"], { stdio: "ignore" });
    await writeFile(path, yaml.replaceAll("/etc/agent-canary/", `${dir}/`));
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

  /** What `agent-canary receiver` would say about these flags before it starts: the flag's error, or the merged config's. */
  async function refusal(flags: Omit<ReceiverFlags, "logLevel">, env: NodeJS.ProcessEnv = { T: "token-0123456789abcdef" }): Promise<string> {
    try {
      const parsed = ReceiverConfigSchema.safeParse(await receiverConfigFrom({ tokenEnv: "T", logLevel: "info", ...flags }, env));
      return parsed.success ? "accepted" : describeConfigIssue(parsed.error.issues[0], flags.config);
    } catch (error) {
      return (error as Error).message;
    }
  }

  it("--archive-dir turns on deployment records for the endings it makes, over the config file's recordsDir", async () => {
    const env = { T: "a-token-of-enough-length" };
    const flags = { tokenEnv: "T", logLevel: "info" };
    expect(ReceiverConfigSchema.parse(await receiverConfigFrom(flags, env)).recordsDir).toBeUndefined();
    expect(ReceiverConfigSchema.parse(await receiverConfigFrom({ ...flags, archiveDir: "/var/lib/agent-canary/records" }, env)).recordsDir).toBe("/var/lib/agent-canary/records");
  });

  it("names the flag (or config field) of every setting it refuses", async () => {
    expect(await refusal({ deployments: "shop,Bad Name" })).toMatch(/^--deployments Bad Name: use 1-63 chars/);
    expect(await refusal({ alertMatchers: 'cluster="eu1" env="prod"' })).toMatch(/^--alert-matchers cluster="eu1" env="prod": cannot read a matcher/);
    expect(await refusal({ tokenEnv: "T" }, { T: "short" })).toMatch(/auth\.bearerTokens\.0 \(--token-file \/ --token-env, or auth\.bearerTokens in --config\): use a bearer token of at least 16 characters/);
    const dir = await mkdtemp(join(tmpdir(), "agent-canary-config-"));
    const config = join(dir, "receiver.yaml");
    await writeFile(config, "auth:\n  grafana: { timestampHeaders: [X-Grafana-Alerting-Timestamp] }\n");
    expect(await refusal({ config })).toMatch(/auth\.grafana\.secret \(--grafana-secret-file, or auth\.grafana\.secret in --config\): use a Grafana HMAC secret/);
    // A misspelt nested setting used to be dropped without a word, leaving the default in force.
    for (const [yaml, line, field] of [
      ["limits:\n  bodyLimit: 1024\n", 2, "limits.bodyLimit"],
      ["auth:\n  grafana: { secret: grafana-secret-0123456789, timestampHeader: X-Ts }\n", 2, "auth.grafana.timestampHeader"],
      ["auth:\n  openMetric: true\n", 2, "auth.openMetric"],
      ["tls: { certFile: a.crt, keyFile: a.key, caFile: ca.crt }\n", 1, "tls.caFile"],
    ] as const) {
      await writeFile(config, yaml);
      expect(await refusal({ config }), yaml).toMatch(new RegExp(`receiver\\.yaml:${line}: field "${field.replaceAll(".", "\\.")}": not a setting here`));
    }
  });

  it("refuses flags that would do nothing or contradict each other, instead of ignoring them", async () => {
    expect(await refusal({ grafanaTimestampHeader: "X-My-Timestamp" })).toMatch(/^--grafana-timestamp-header applies to Grafana deliveries, which need the contact point's HMAC secret: add --grafana-secret-file/);
    expect(await refusal({ grafanaSignatureHeader: "X-Sig" })).toMatch(/^--grafana-signature-header applies to Grafana deliveries/);
    expect(await refusal({ grafanaAllowMissingTimestamp: true })).toMatch(/^--grafana-allow-missing-timestamp applies to Grafana deliveries/);
    const dir = await mkdtemp(join(tmpdir(), "agent-canary-config-"));
    const secret = join(dir, "grafana-secret");
    await writeFile(secret, "grafana-secret-0123456789\n");
    expect(await refusal({ grafanaSecretFile: secret, grafanaRequireTimestamp: true, grafanaAllowMissingTimestamp: true })).toMatch(/--grafana-require-timestamp and --grafana-allow-missing-timestamp contradict each other/);
    expect(await refusal({ grafanaSecretFile: secret, grafanaTimestampHeader: "X-My-Timestamp" })).toBe("accepted");
    expect(await refusal({ store: `file:${dir}`, redisWaitReplicas: "1" })).toMatch(/redisWaitReplicas \(--redis-wait-replicas, or redisWaitReplicas in --config\): waiting for Redis replicas applies only to a Redis store/);
    expect(await refusal({ store: "redis+cluster://n1:7000,n2:7001", redisWaitReplicas: "1" })).toMatch(/is not supported on Redis Cluster/);
    expect(await refusal({ store: "redis+sentinel://s1:26379/mymaster", redisWaitReplicas: "1" })).toBe("accepted");
  });

  it("checks the TLS files are a PEM certificate and its key before starting, naming the flags or the config fields", async () => {
    const dir = await mkdtemp(join(tmpdir(), "agent-canary-tls-"));
    const [cert, key, other] = [join(dir, "tls.crt"), join(dir, "tls.key"), join(dir, "other.key")] as const;
    execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=localhost"], { stdio: "ignore" });
    execFileSync("openssl", ["genpkey", "-algorithm", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-out", other], { stdio: "ignore" });
    expect(await refusal({ tlsCertFile: cert, tlsKeyFile: key })).toBe("accepted");
    // Swapped files, and a key that does not belong to the certificate.
    expect(await refusal({ tlsCertFile: key, tlsKeyFile: cert })).toMatch(new RegExp(`^--tls-cert-file ${key} and --tls-key-file ${cert}: not a PEM certificate and its private key`));
    expect(await refusal({ tlsCertFile: cert, tlsKeyFile: other })).toMatch(/not a PEM certificate and its private key \(.*\); give the certificate/);
    const config = join(dir, "receiver.yaml");
    await writeFile(config, `tls: { certFile: ${cert}, keyFile: ${cert} }\n`);
    expect(await refusal({ config })).toMatch(/^tls\.certFile \(in --config\) .* and tls\.keyFile \(in --config\) .*: not a PEM certificate/);
    await writeFile(config, `tls: { certFile: ${join(dir, "missing.crt")}, keyFile: ${key} }\n`);
    expect(await refusal({ config })).toMatch(/^tls\.certFile \(in --config\) .*missing\.crt: cannot read it \(ENOENT\)/);
  });
});
