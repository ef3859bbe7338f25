import { execFile } from "node:child_process";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { freePort, waitFor } from "@agent-canary/testkit";
import { parse } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readResources } from "./helpers/kustomize.js";

/**
 * The CLI image built from deploy/docker/Dockerfile, run the way the receiver
 * Deployment runs it. Slow (minutes to build) and needs a container engine, so it
 * runs only when AGENT_CANARY_IMAGE names a built image:
 *   bash deploy/docker/build.sh agent-canary:0.1.0
 *   AGENT_CANARY_IMAGE=agent-canary:0.1.0 pnpm exec vitest run test/k8s/image.test.ts
 * AGENT_CANARY_PODMAN (default "podman") and AGENT_CANARY_PODMAN_RUN_ARGS pass what a
 * machine's engine needs, e.g. "podman --runtime runc" and "--ulimit nproc=1000:1000".
 */
const image = process.env.AGENT_CANARY_IMAGE;
const [engine = "podman", ...engineArgs] = (process.env.AGENT_CANARY_PODMAN ?? "podman").split(" ").filter(Boolean);
const runArgs = (process.env.AGENT_CANARY_PODMAN_RUN_ARGS ?? "").split(" ").filter(Boolean);
const exec = promisify(execFile);
const podman = (...args: string[]) => exec(engine, [...engineArgs, ...args], { maxBuffer: 16 * 1024 * 1024 });

const deployDir = fileURLToPath(new URL("../../deploy/kubernetes", import.meta.url));

interface ReceiverContainer {
  args: string[];
  livenessProbe: { httpGet: { path: string } };
  volumeMounts: { name: string; mountPath: string }[];
}
interface ReceiverPod {
  securityContext: { runAsUser: number; runAsGroup: number };
  containers: ReceiverContainer[];
  volumes: { name: string; configMap?: { name: string }; secret?: { secretName: string } }[];
}

describe.skipIf(!image)("the CLI image (AGENT_CANARY_IMAGE)", () => {
  const name = `agent-canary-image-test-${process.pid}`;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "agent-canary-image-"));
  });
  afterAll(async () => {
    await podman("rm", "--force", name).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  it("runs as a non-root user and answers --version with the agent-canary entrypoint", async () => {
    expect((await podman("run", "--rm", ...runArgs, "--entrypoint", "id", image ?? "", "-u")).stdout.trim()).not.toBe("0");
    expect((await podman("run", "--rm", ...runArgs, image ?? "", "--version")).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it("serves the receiver with the Deployment's args, config and security settings, acts on a webhook, and stops cleanly on SIGTERM", async () => {
    const deployment = (await readResources(join(deployDir, "base/receiver-statefulset.yaml")))[0] as unknown as { spec: { template: { spec: ReceiverPod } } };
    const pod = deployment.spec.template.spec;
    const container = pod.containers[0];
    if (!container) throw new Error("no receiver container");
    const configMap = (await readResources(join(deployDir, "base/receiver-config.yaml")))[0] as unknown as { data: Record<string, string> };
    const settings = parse(configMap.data["receiver.yaml"] ?? "") as { port: number };
    const recordsMount = container.args.find((a) => a.startsWith("--archive-dir="))?.slice("--archive-dir=".length) ?? "/records";
    const mount = (source: string) => {
      const volume = pod.volumes.find((v) => v.configMap?.name === source || v.secret?.secretName === source);
      return container.volumeMounts.find((m) => m.name === volume?.name)?.mountPath ?? "";
    };
    // The ConfigMap and Secret as the kubelet mounts them: read-only files.
    const token = "0123456789abcdef0123456789abcdef";
    await writeFile(join(dir, "receiver.yaml"), configMap.data["receiver.yaml"] ?? "");
    await writeFile(join(dir, "token"), `${token}\n`);
    await chmod(join(dir, "receiver.yaml"), 0o644);
    await chmod(join(dir, "token"), 0o644);
    const port = await freePort();
    await podman(
      "run", "--detach", "--name", name, ...runArgs,
      // securityContext: runAsUser/Group, readOnlyRootFilesystem, no privilege escalation, drop ALL; /tmp is an emptyDir.
      "--user", `${pod.securityContext.runAsUser}:${pod.securityContext.runAsGroup}`, "--read-only", "--security-opt", "no-new-privileges", "--cap-drop", "ALL", "--tmpfs", "/tmp",
      // The records claim (--archive-dir): writable, as the volume the StatefulSet mounts there.
      "--tmpfs", `${recordsMount}:mode=1777`,
      "--volume", `${dir}/receiver.yaml:${mount("agent-canary-receiver")}/receiver.yaml:ro`,
      "--volume", `${dir}/token:${mount("agent-canary-receiver-token")}/token:ro`,
      // Redis on the host's loopback is out of the container's reach: the file store on the emptyDir stands in.
      "--env", "AGENT_CANARY_STORE=file:/tmp/rollout-state",
      // Published on loopback: the request arrives on the container's own interface, so this also shows it listens on all interfaces.
      "--publish", `127.0.0.1:${port}:${settings.port}`,
      image ?? "", ...container.args,
    );
    const url = `http://127.0.0.1:${port}`;
    await waitFor(async () => (await fetch(`${url}${container.livenessProbe.httpGet.path}`)).status === 200, { timeoutMs: 120_000, what: "the receiver in the container" });
    await podman("exec", name, "agent-canary", "rollout", "start", "--deployment", "support-agent", "--baseline", "3f2a9c0d1e4b5a6f", "--canary", "9b1c2d3e4f5a6b7c", "--plan", "medium");
    const alert = { status: "firing", labels: { alertname: "SupportAgentRefundsSpiking", action: "rollback", deployment: "support-agent" }, annotations: {}, startsAt: new Date().toISOString(), endsAt: "0001-01-01T00:00:00Z", generatorURL: "", fingerprint: "image-test" };
    const body = { version: "4", groupKey: "k", status: "firing", receiver: "agent-canary-rollback", groupLabels: {}, commonLabels: {}, commonAnnotations: {}, externalURL: "http://alertmanager", truncatedAlerts: 0, alerts: [alert] };
    const response = await fetch(`${url}/hooks/alertmanager`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify(body) });
    expect(response.status).toBe(200);
    const status = (await podman("exec", name, "agent-canary", "rollout", "status", "--deployment", "support-agent", "--json")).stdout;
    expect((JSON.parse(status) as { state: { phase: string; canaryPercent: number } }[])[0]?.state).toMatchObject({ phase: "rolled_back", canaryPercent: 0 });
    await podman("stop", "--time", "20", name);
    expect((await podman("inspect", name, "--format", "{{.State.ExitCode}}")).stdout.trim()).toBe("0");
    expect((await podman("logs", name)).stderr + (await podman("logs", name)).stdout).toContain("shutting down");
  });
});

// Say why nothing ran, in the test output, when the image is not given.
if (!image) {
  describe("the CLI image", () => {
    it.skip("is not checked: set AGENT_CANARY_IMAGE to an image built with deploy/docker/build.sh (needs podman, buildah or docker)", () => undefined);
  });
}

// The Dockerfile itself, always: what the image promises without building it.
describe("deploy/docker/Dockerfile", () => {
  it("is multi-stage on a Node 22 slim base, installs the packed tarballs without dev dependencies, and runs non-root with the agent-canary entrypoint", async () => {
    const text = await readFile(fileURLToPath(new URL("../../deploy/docker/Dockerfile", import.meta.url)), "utf8");
    expect(text).toMatch(/^ARG NODE_IMAGE=node:22-bookworm-slim$/m);
    expect(text.match(/^FROM \$\{NODE_IMAGE\}/gm)).toHaveLength(2);
    expect(text).toMatch(/npm install --omit=dev .*\/tmp\/packages\/\*\.tgz/);
    expect(text).toMatch(/^COPY --from=install /m);
    expect(text).toMatch(/^ENTRYPOINT \["agent-canary"\]$/m);
    // The user the manifests run as (runAsNonRoot needs a numeric one) is the image's.
    const user = /^USER (\d+):(\d+)$/m.exec(text);
    for (const file of ["base/receiver-statefulset.yaml", "rollout/job.yaml"]) {
      const workload = (await readResources(join(deployDir, file)))[0] as unknown as { spec: { template: { spec: ReceiverPod } } };
      expect(workload.spec.template.spec.securityContext, file).toMatchObject({ runAsUser: Number(user?.[1]), runAsGroup: Number(user?.[2]) });
    }
  });
});
