import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import {
  DashboardConfigMapOptionsSchema,
  generateDashboardConfigMapFiles,
  generateKubernetesFiles,
  KubernetesRulesOptionsSchema,
  loadGatesConfig,
  staleFiles,
  type GatesConfig,
} from "@agent-canary/gate-rules";
import { FileStore, RedisStore, start, stagesFrom, transition } from "@agent-canary/rollout-state";
import { freePort, startAlertmanager, startPrometheus, startRedis, waitFor, type AlertmanagerHandle, type PrometheusHandle, type RedisHandle } from "@agent-canary/testkit";
import { parse, stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kubectlAvailable, kustomize, readResources } from "./helpers/kustomize.js";
import { renderAsOperator, type AlertmanagerConfigResource } from "./helpers/operator.js";
import { validateResource, type Resource } from "./helpers/schemas.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const deployDir = join(root, "deploy/kubernetes");
const cliBin = join(root, "packages/cli/dist/bin.js");

/* Loose views of the fields these tests read; the schemas check the rest. */
interface Probe {
  httpGet: { path: string; port: string };
}
interface Container {
  name: string;
  args: string[];
  ports?: { name: string; containerPort: number }[];
  env?: { name: string; value?: string }[];
  envFrom?: { configMapRef?: { name: string } }[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean; capabilities?: { drop?: string[] } };
  volumeMounts?: { name: string; mountPath: string }[];
}
interface PodSpec {
  restartPolicy?: string;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; fsGroup?: number };
  containers: Container[];
  volumes?: { name: string; configMap?: { name: string }; secret?: { secretName: string } }[];
}
type Workload = Resource & {
  spec: {
    replicas?: number;
    backoffLimit?: number;
    selector?: { matchLabels: Record<string, string> };
    template: { metadata: { labels: Record<string, string> }; spec: PodSpec };
    volumeClaimTemplates?: { metadata: { name: string }; spec: { accessModes: string[] } }[];
  };
};
type Selecting = Resource & { spec: { selector: { matchLabels?: Record<string, string> } & Record<string, string>; minAvailable?: number; ports?: { name: string; port: number; targetPort: string }[]; endpoints?: { port: string; authorization?: { credentials: { name: string; key: string } } }[] } };
interface Kustomization {
  resources?: string[];
  images?: { name: string; newName?: string; newTag?: string }[];
  secretGenerator?: { name: string; namespace?: string; files?: string[] }[];
  configMapGenerator?: { name: string; namespace?: string; files?: string[]; envs?: string[] }[];
}

/** Every resource file under deploy/kubernetes (not kustomizations, gates.yaml or env files). */
async function resourceFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await resourceFiles(path)));
    else if (entry.name.endsWith(".yaml") && entry.name !== "kustomization.yaml" && entry.name !== "gates.yaml") out.push(path);
  }
  return out;
}

async function one<T extends Resource>(file: string, kind: string): Promise<T> {
  const found = (await readResources(join(deployDir, file))).find((r) => r.kind === kind);
  if (!found) throw new Error(`${file} has no ${kind}`);
  return found as T;
}

const kustomization = async (sub: string): Promise<Kustomization> => parse(await readFile(join(deployDir, sub, "kustomization.yaml"), "utf8")) as Kustomization;
const matches = (selector: Record<string, string> | undefined, labels: Record<string, string>) =>
  Object.entries(selector ?? {}).length > 0 && Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v);
const container = (w: Workload): Container => {
  const c = w.spec.template.spec.containers[0];
  if (!c) throw new Error(`${w.metadata.name} has no container`);
  return c;
};
/** Where a volume of the pod (by its source's name) is mounted in the container. */
function mountOf(w: Workload, source: string): string | undefined {
  const volume = w.spec.template.spec.volumes?.find((v) => v.configMap?.name === source || v.secret?.secretName === source);
  return container(w).volumeMounts?.find((m) => m.name === volume?.name)?.mountPath;
}
const flag = (args: string[], name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);

let gates: GatesConfig;
let receiver: Workload;
let receiverSettings: { host: string; port: number; deployments: string[] };
beforeAll(async () => {
  gates = await loadGatesConfig(join(deployDir, "gates.yaml"));
  receiver = await one<Workload>("base/receiver-statefulset.yaml", "StatefulSet");
  const config = await one<Resource & { data: Record<string, string> }>("base/receiver-config.yaml", "ConfigMap");
  receiverSettings = parse(config.data["receiver.yaml"] ?? "") as typeof receiverSettings;
});

describe("deploy/kubernetes: every resource passes its published schema", () => {
  it("each file as committed", async () => {
    const files = await resourceFiles(deployDir);
    expect(files.length).toBeGreaterThanOrEqual(14);
    for (const file of files) {
      const resources = await readResources(file);
      expect(resources.length, relative(root, file)).toBeGreaterThan(0);
      for (const resource of resources) validateResource(resource);
    }
  });

  it("rendered with kubectl kustomize, as applied (skipped where kubectl is absent)", async (ctx) => {
    if (!(await kubectlAvailable())) ctx.skip("kubectl is not installed: the kustomize rendering is not checked here; the files are, above");
    const all = await kustomize(deployDir);
    const rollout = await kustomize(deployDir, "rollout");
    for (const resource of [...all, ...rollout]) validateResource(resource);
    const kinds = all.map((r) => `${r.kind}/${r.metadata.namespace ?? ""}/${r.metadata.name}`);
    expect(kinds).toEqual(
      expect.arrayContaining([
        "StatefulSet/agent-canary/agent-canary-receiver",
        "Secret/agent-canary/agent-canary-receiver-token",
        "Secret/monitoring/agent-canary-receiver-token",
        "PrometheusRule/monitoring/agent-canary-gates",
        "AlertmanagerConfig/monitoring/agent-canary-receiver",
        "ConfigMap/agent-canary/agent-canary-gates",
        "ServiceMonitor/agent-canary/agent-canary-receiver",
      ]),
    );
    // The token the receiver checks is the token Alertmanager sends.
    const secrets = all.filter((r) => r.kind === "Secret") as (Resource & { data: Record<string, string> })[];
    expect(new Set(secrets.map((s) => s.data.token)).size).toBe(1);
  });
});

describe("the receiver StatefulSet", () => {
  it("probes readiness on /readyz (the store) apart from liveness on /healthz (the process), on its http port", () => {
    const c = container(receiver);
    expect(c.readinessProbe?.httpGet).toEqual({ path: "/readyz", port: "http" });
    expect(c.livenessProbe?.httpGet).toEqual({ path: "/healthz", port: "http" });
    expect(c.ports).toEqual([expect.objectContaining({ name: "http", containerPort: receiverSettings.port })]);
  });

  it("runs non-root with a read-only root filesystem, no privilege escalation, no capabilities, bounded memory", () => {
    const c = container(receiver);
    expect(receiver.spec.template.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
    expect(c.securityContext).toEqual({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
    expect(c.resources?.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
    expect(c.resources?.limits).toMatchObject({ memory: expect.any(String) });
  });

  it("listens on all interfaces, reads its settings, token and store from the mounted config, and gates only gates.yaml's deployments", () => {
    const c = container(receiver);
    expect(receiverSettings.host).toBe("0.0.0.0");
    expect(receiverSettings.deployments).toEqual(gates.deployments);
    expect(flag(c.args, "config")).toBe(`${mountOf(receiver, "agent-canary-receiver")}/receiver.yaml`);
    expect(flag(c.args, "token-file")).toBe(`${mountOf(receiver, "agent-canary-receiver-token")}/token`);
    expect(c.envFrom).toContainEqual({ configMapRef: { name: "agent-canary-store" } });
  });

  it("writes the deployment records of the rollouts it ends to a volume of its own that outlives the pod", () => {
    const c = container(receiver);
    const records = flag(c.args, "archive-dir");
    const mount = c.volumeMounts?.find((m) => m.mountPath === records);
    expect(records, "--archive-dir is set").toBeDefined();
    expect(mount, "--archive-dir is a mounted volume, not the read-only root filesystem").toBeDefined();
    // A claim per replica (ReadWriteOnce works on every storage class), not an emptyDir that dies with the pod.
    const claim = receiver.spec.volumeClaimTemplates?.find((t) => t.metadata.name === mount?.name);
    expect(claim?.spec.accessModes).toEqual(["ReadWriteOnce"]);
    expect(receiver.spec.template.spec.volumes?.map((v) => v.name)).not.toContain(mount?.name);
    expect(receiver.spec.template.spec.securityContext).toMatchObject({ fsGroup: receiver.spec.template.spec.securityContext?.runAsUser });
  });

  it("Service, PodDisruptionBudget and ServiceMonitor select its pods, and gates.yaml's receiver.url names the Service", async () => {
    const pods = receiver.spec.template.metadata.labels;
    const service = await one<Selecting>("base/receiver-service.yaml", "Service");
    const pdb = await one<Selecting>("base/receiver-pdb.yaml", "PodDisruptionBudget");
    const monitor = await one<Selecting>("base/receiver-servicemonitor.yaml", "ServiceMonitor");
    expect(matches(service.spec.selector, pods)).toBe(true);
    expect(matches(pdb.spec.selector.matchLabels, pods)).toBe(true);
    expect(pdb.spec.minAvailable).toBeLessThan(receiver.spec.replicas ?? 1);
    expect(matches(monitor.spec.selector.matchLabels, service.metadata.labels ?? {})).toBe(true);
    expect(service.spec.ports?.map((p) => p.name)).toContain(monitor.spec.endpoints?.[0]?.port);
    const url = new URL(gates.receiver.url);
    const namespace = (await kustomization("base") as { namespace?: string }).namespace;
    expect(url.hostname).toBe(`${service.metadata.name}.${namespace}.svc`);
    expect(Number(url.port)).toBe(service.spec.ports?.[0]?.port);
  });
});

describe("the generated monitoring resources and the Secrets they name", () => {
  it("deploy/kubernetes/monitoring is what deploy/kubernetes/gates.yaml generates", async () => {
    const files = [
      ...generateKubernetesFiles(gates, KubernetesRulesOptionsSchema.parse({})),
      ...generateDashboardConfigMapFiles(gates, DashboardConfigMapOptionsSchema.parse({})),
    ];
    expect(
      await staleFiles(join(deployDir, "monitoring"), files),
      "run `agent-canary rules --config deploy/kubernetes/gates.yaml --format kubernetes --out deploy/kubernetes/monitoring` and `agent-canary dashboards --config deploy/kubernetes/gates.yaml --format configmap --out deploy/kubernetes/monitoring`",
    ).toEqual([]);
    const top = await kustomization(".");
    for (const f of files) expect(top.resources).toContain(`monitoring/${f.path}`);
  });

  it("every Secret the AlertmanagerConfig and ServiceMonitor read is generated in their namespace from the one token file", async () => {
    const am = await one<Resource & { spec: { receivers: { webhookConfigs?: { httpConfig: { authorization: { credentials: { name: string } } } }[] }[] } }>(
      "monitoring/alertmanager-config.yaml",
      "AlertmanagerConfig",
    );
    const monitor = await one<Selecting>("base/receiver-servicemonitor.yaml", "ServiceMonitor");
    const generated = (await kustomization(".")).secretGenerator ?? [];
    const wanted = [
      ...am.spec.receivers.flatMap((r) => r.webhookConfigs ?? []).map((w) => `${am.metadata.namespace}/${w.httpConfig.authorization.credentials.name}`),
      `agent-canary/${monitor.spec.endpoints?.[0]?.authorization?.credentials.name}`,
      `agent-canary/${(receiver.spec.template.spec.volumes ?? []).find((v) => v.secret)?.secret?.secretName}`,
    ];
    for (const secret of wanted) expect(generated.map((g) => `${g.namespace}/${g.name}`)).toContain(secret);
    expect(new Set(generated.map((g) => g.files?.join()))).toEqual(new Set(["token=receiver-token"]));
  });
});

describe("the rollout Job", () => {
  it("never retries (a retry could restart a rolled-back canary) and takes every $(VAR) from rollout.env and its plan from gates.yaml", async () => {
    const job = await one<Workload>("rollout/job.yaml", "Job");
    expect(job.spec.backoffLimit).toBe(0);
    expect(job.spec.template.spec.restartPolicy).toBe("Never");
    const env = await readFile(join(deployDir, "rollout/rollout.env"), "utf8");
    const defined = new Set([...env.matchAll(/^([A-Z_]+)=/gm)].map((m) => m[1]));
    const used = container(job).args.flatMap((a) => [...a.matchAll(/\$\(([A-Z_]+)\)/g)].map((m) => m[1]));
    expect(used.length).toBeGreaterThan(0);
    for (const name of used) expect(defined).toContain(name);
    expect(flag(container(job).args, "plan")).toBe(`${mountOf(job, "agent-canary-gates")}/gates.yaml`);
    const gatesMap = (await kustomization(".")).configMapGenerator?.find((g) => g.name === "agent-canary-gates");
    expect(gatesMap?.files).toEqual(["gates.yaml"]);
    // The controller runs the receiver's image: one place to change it is not enough, the two must agree.
    expect((await kustomization("rollout")).images).toEqual((await kustomization(".")).images);
    expect(container(job).args[0]).toBe("rollout");
  });
});

describe("the README's Kubernetes guide", () => {
  const section = async () => {
    const readme = await readFile(join(root, "README.md"), "utf8");
    const start = readme.indexOf("## Kubernetes with kube-prometheus-stack");
    return readme.slice(start, readme.indexOf("\n## ", start + 1));
  };

  it("links only to files that exist", async () => {
    const links = [...(await section()).matchAll(/\]\(((?:deploy|packages)\/[^)#]+)\)/g)].map((m) => m[1] ?? "");
    expect(links.length).toBeGreaterThan(3);
    for (const link of links) expect(existsSync(join(root, link)), link).toBe(true);
  });

  it("its agent-canary commands, run as written (output redirected), make the committed monitoring resources", async () => {
    if (!existsSync(cliBin)) throw new Error(`${cliBin} is missing: run pnpm build first`);
    const commands = [...(await section()).matchAll(/^agent-canary (.+)$/gm)].map((m) => (m[1] ?? "").trim().split(/\s+/));
    expect(commands.map((c) => c[0])).toEqual(["rules", "dashboards"]);
    const out = await mkdtemp(join(tmpdir(), "agent-canary-guide-"));
    try {
      for (const args of commands) {
        const local = args.map((a, i) => (args[i - 1] === "--out" ? out : a));
        const code = await new Promise<number | null>((resolve) => spawn(process.execPath, [cliBin, ...local], { cwd: root, stdio: "ignore" }).once("exit", resolve));
        expect(code, args.join(" ")).toBe(0);
      }
      for (const file of await readdir(join(deployDir, "monitoring"))) {
        expect(await readFile(join(out, file), "utf8"), file).toBe(await readFile(join(deployDir, "monitoring", file), "utf8"));
      }
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});

describe("the README's token, through the AlertmanagerConfig as the Prometheus Operator renders it, to the real receiver", () => {
  let alertmanager: AlertmanagerHandle | undefined;
  let receiverProcess: ChildProcess | undefined;
  let dir: string;
  afterAll(async () => {
    receiverProcess?.kill("SIGKILL");
    await alertmanager?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("the token command's file reaches the receiver as a bearer token real Alertmanager sends", async () => {
    if (!existsSync(cliBin)) throw new Error(`${cliBin} is missing: run pnpm build first`);
    const readme = await readFile(join(root, "README.md"), "utf8");
    const guide = readme.slice(readme.indexOf("## Kubernetes with kube-prometheus-stack"));
    const line = /^(.*> deploy\/kubernetes\/receiver-token.*)$/m.exec(guide)?.[1];
    if (!line) throw new Error("the Kubernetes guide has no command writing deploy/kubernetes/receiver-token");
    dir = await mkdtemp(join(tmpdir(), "agent-canary-token-"));
    await mkdir(join(dir, "deploy", "kubernetes"), { recursive: true });
    const made = await new Promise<number | null>((resolve) => spawn("bash", ["-c", line], { cwd: dir, stdio: "ignore" }).once("exit", resolve));
    expect(made, line).toBe(0);
    // The Secret holds the file's bytes (secretGenerator), and the operator copies them as they are.
    const token = await readFile(join(dir, "deploy", "kubernetes", "receiver-token"), "utf8");
    expect(token.length).toBeGreaterThanOrEqual(16);

    const store = new FileStore({ dir: join(dir, "state") });
    const deployment = gates.deployments[0] ?? "";
    const started = await transition(store, deployment, start({ deployment, baseline: { hash: "00000000000000aa" }, canary: { hash: "00000000000000bb" }, stages: stagesFrom([5, 100], 0, 0) }), { by: "test", reason: "seed" });
    const port = await freePort();
    await writeFile(join(dir, "token"), token);
    receiverProcess = spawn(process.execPath, [cliBin, "receiver", "--loopback", "--port", String(port), "--store", `file:${join(dir, "state")}`, "--token-file", join(dir, "token"), "--log-level", "warn"], { stdio: "ignore" });
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.status, () => 0)) === 200, { timeoutMs: 60_000, what: "the receiver" });

    const amc = await one<AlertmanagerConfigResource>("monitoring/alertmanager-config.yaml", "AlertmanagerConfig");
    const secret = (await kustomization(".")).secretGenerator?.find((g) => g.namespace === amc.metadata.namespace);
    const config = renderAsOperator(amc, { [`${amc.metadata.namespace}/${secret?.name}/token`]: token }, (url) => url.replace(/^https?:\/\/[^/]+/, `http://127.0.0.1:${port}`));
    alertmanager = await startAlertmanager(stringify(config));
    await alertmanager.postAlerts([
      { labels: { alertname: "AgentCanaryCostGateFailed", namespace: amc.metadata.namespace, deployment, rollout_id: started.state?.rolloutId ?? "", gate: "cost", action: "rollback", severity: "critical" } },
    ]);
    try {
      await waitFor(async () => (await store.read(deployment))?.phase === "rolled_back", { timeoutMs: 60_000, what: "the rollback through Alertmanager" });
    } catch (error) {
      const notify = (alertmanager.output().match(/.*Notify.*/g) ?? []).join("\n");
      throw new Error(`${(error as Error).message}; Alertmanager said:\n${notify}`);
    } finally {
      await store.close();
    }
  });
});

describe("the manifests' commands, run with the real CLI (packages/cli/dist) against real Redis and Prometheus", () => {
  let redis: RedisHandle;
  let prometheus: PrometheusHandle | undefined;
  let dir: string;
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    redis = await startRedis();
    dir = await mkdtemp(join(tmpdir(), "agent-canary-manifests-"));
  });
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
    await prometheus?.stop();
    await redis?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** Runs the CLI with a container's args, the paths of its mounts mapped to local files. */
  function run(args: string[], paths: Record<string, string>, env: Record<string, string>): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
    const local = args.map((a) => Object.entries(paths).reduce((text, [from, to]) => text.replace(from, to), a));
    const child = spawn(process.execPath, [cliBin, ...local], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    children.push(child);
    let output = "";
    child.stdout?.on("data", (c: Buffer) => (output += c.toString()));
    child.stderr?.on("data", (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    return { child, output: () => output, exited };
  }

  it("the receiver starts from the Deployment's args and config; its probe paths answer", async () => {
    if (!existsSync(cliBin)) throw new Error(`${cliBin} is missing: run pnpm build first`);
    const port = await freePort();
    // The committed settings, on a free loopback port (tests listen on loopback only).
    await writeFile(join(dir, "receiver.yaml"), stringify({ ...receiverSettings, host: "127.0.0.1", port }));
    await writeFile(join(dir, "token"), "0123456789abcdef0123456789abcdef\n");
    const c = container(receiver);
    const paths = { [`${mountOf(receiver, "agent-canary-receiver")}`]: dir, [`${mountOf(receiver, "agent-canary-receiver-token")}`]: dir };
    const proc = run(c.args, paths, { AGENT_CANARY_STORE: `redis://127.0.0.1:${redis.port}` });
    const get = (path: string) => fetch(`http://127.0.0.1:${port}${path}`).then((r) => r.status);
    await waitFor(async () => (await get(c.livenessProbe?.httpGet.path ?? "")) === 200, { timeoutMs: 60_000, what: `the receiver's liveness probe\n${proc.output()}` });
    // Readiness: the store (Redis here, as the ConfigMap says) answers a write and a read.
    expect(await get(c.readinessProbe?.httpGet.path ?? "")).toBe(200);
    proc.child.kill("SIGTERM");
    expect(await proc.exited).toBe(0);
  });

  it("the rollout Job's args start the rollout of rollout.env and drive it until stopped", async () => {
    prometheus = await startPrometheus();
    const job = await one<Workload>("rollout/job.yaml", "Job");
    const env = Object.fromEntries(
      (await readFile(join(deployDir, "rollout/rollout.env"), "utf8"))
        .split("\n")
        .filter((l) => /^[A-Z_]+=/.test(l))
        .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
    ) as Record<string, string>;
    const expanded = container(job).args.map((a) => a.replace(/\$\(([A-Z_]+)\)/g, (_m, name: string) => (name === "PROMETHEUS_URL" ? prometheus?.url ?? "" : env[name] ?? "")));
    const paths = { [`${mountOf(job, "agent-canary-gates")}`]: deployDir, "/var/lib/agent-canary/records": join(dir, "records") };
    const proc = run(expanded, paths, { AGENT_CANARY_STORE: `redis://127.0.0.1:${redis.port}` });
    const store = new RedisStore({ url: `redis://127.0.0.1:${redis.port}` });
    try {
      const state = await waitFor(async () => {
        const s = await store.read(env.DEPLOYMENT ?? "");
        return s?.phase === "progressing" ? s : undefined;
      }, { timeoutMs: 60_000, what: `the rollout to start\n${proc.output()}` });
      expect(state).toMatchObject({ canary: { hash: env.CANARY }, baseline: { hash: env.BASELINE }, canaryPercent: gates.rollout.stages[0]?.percent });
      expect(state.stages).toEqual(gates.rollout.stages);
    } finally {
      await store.close();
    }
    // No agent traffic: the first evaluation waits for the stage's minimums.
    await waitFor(() => proc.output().includes('"msg":"not advancing yet"'), { timeoutMs: 60_000, what: `the controller's first evaluation\n${proc.output()}` });
    proc.child.kill("SIGTERM");
    expect(await proc.exited).toBe(0);
    expect(proc.output()).toContain("rollout ended: stopped");
  });

  it("the controller Deployment's args drive the rollout the Job started, and stop cleanly on SIGTERM", async () => {
    // Runs after the Job test: its rollout is in progress in this Redis.
    prometheus ??= await startPrometheus();
    const deployment = await one<Workload>("base/controller-deployment.yaml", "Deployment");
    const c = container(deployment);
    const prometheusUrl = c.env?.find((e) => e.name === "PROMETHEUS_URL")?.value ?? "";
    expect(prometheusUrl).toMatch(/^http:\/\/kube-prometheus-stack-prometheus\.monitoring\.svc:9090$/);
    const expanded = c.args.map((a) => a.replace("$(PROMETHEUS_URL)", prometheus?.url ?? ""));
    const paths = { [`${mountOf(deployment, "agent-canary-gates")}`]: deployDir, "/var/lib/agent-canary/records": join(dir, "controller-records") };
    const proc = run(expanded, paths, { AGENT_CANARY_STORE: `redis://127.0.0.1:${redis.port}` });
    await waitFor(() => proc.output().includes('"msg":"driving rollout"'), { timeoutMs: 60_000, what: `the controller to pick the rollout up\n${proc.output()}` });
    await waitFor(() => proc.output().includes('"msg":"not advancing yet"'), { timeoutMs: 60_000, what: `the controller's first evaluation\n${proc.output()}` });
    proc.child.kill("SIGTERM");
    expect(await proc.exited).toBe(0);
    expect(proc.output()).toContain("controller: stopped");
  });
});
