/**
 * Attacks on the receiver of issue 13 items 6-8 and 11, against `agent-canary receiver` as a
 * child process on a file store (so its latency and memory are its own, not the attacker's).
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createReceiver, ReceiverConfigSchema } from "@agent-canary/rollout";
import { DEFAULT_STAGE_PERCENTS, FileStore, resume, rollback, stagesFrom, start, transition } from "@agent-canary/rollout-state";
import { fmt } from "../lib/report.ts";
import { quantile } from "../lib/stats.ts";
import { seeded } from "./file-store.ts";
import { alertmanagerBody, GRAFANA_SECRET, grafanaHeaders, isRoot, kill, postHook, startReceiverProcess, TOKEN, type FaultRow } from "./lib.ts";

const DEPLOYMENT = "shop";
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function peakRssMiB(pid: number | undefined): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

/** Legit changes, one after another, for `seconds`: a new capability each time. Returns latencies and non-200s. */
async function legitLoad(url: string, seconds: number, offset: number): Promise<{ ms: number[]; failures: number }> {
  const ms: number[] = [];
  let failures = 0;
  const until = Date.now() + seconds * 1000;
  for (let i = offset; Date.now() < until; i++) {
    const result = await postHook(`${url}/hooks/alertmanager`, alertmanagerBody([{ labels: { alertname: "ToolErrors", deployment: DEPLOYMENT, capability: `c${i}` } }]));
    if (result.status === 200) ms.push(result.ms);
    else failures++;
  }
  return { ms, failures };
}

/**
 * Issue 13 item 6: 4 unauthenticated clients sending deeply nested JSON raised the p50 of
 * legitimate rollbacks from 4.4 ms to 3 s (RSS ~500 MB). Two attacks: without signature
 * headers (refused before the body is read) and with a forged signature and a fresh timestamp
 * (the body must be read and hashed to refuse it; it is never parsed).
 */
export async function nestedJsonFlood(seconds: number): Promise<FaultRow[]> {
  const dir = await mkdtemp(join(tmpdir(), "faults-nested-"));
  await seeded(dir);
  const receiver = await startReceiverProcess({ store: `file:${dir}`, extra: ["--grafana-secret-file", await secretFile(dir)] });
  const baseline = await legitLoad(receiver.url, seconds, 0);
  const nested = `${"[".repeat(250_000)}${"]".repeat(250_000)}`;
  const attack = async (name: string, headers: () => Record<string, string>, offset: number): Promise<FaultRow> => {
    let stop = false;
    let attacks = 0;
    const statuses = new Map<number, number>();
    const attackers = Array.from({ length: 4 }, async () => {
      while (!stop) {
        const { status } = await postHook(`${receiver.url}/hooks/grafana`, nested, headers());
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        attacks++;
      }
    });
    const attacked = await legitLoad(receiver.url, seconds, offset);
    stop = true;
    await Promise.all(attackers);
    const p50 = quantile(attacked.ms, 0.5);
    const p50Base = quantile(baseline.ms, 0.5);
    return {
      area: "receiver",
      fault: `4 unauthenticated clients posting 500 KB of nested JSON to /hooks/grafana, ${name}`,
      tries: `${attacks} attack requests, ${attacked.ms.length + attacked.failures} legitimate changes during the attack`,
      unwanted: 0,
      errors5xx: [...statuses].filter(([s]) => s >= 500).reduce((n, [, k]) => n + k, 0) + attacked.failures,
      crashes: receiver.child.exitCode === null ? 0 : 1,
      lostAcks: 0,
      detail: `legitimate change p50 ${fmt(p50, 1)} ms under attack vs ${fmt(p50Base, 1)} ms without (same run, ${fmt(p50 / p50Base, 2)}x), p99 ${fmt(quantile(attacked.ms, 0.99), 0)} ms; attack replies ${[...statuses].map(([s, n]) => `${s}: ${n}`).join(", ")}; receiver peak RSS so far ${fmt(await peakRssMiB(receiver.child.pid), 0)} MiB`,
    };
  };
  const rows = [
    await attack("no signature headers", () => ({}), 1_000_000),
    await attack("forged signature, fresh timestamp", () => ({ "X-Grafana-Alerting-Signature": "0".repeat(64), "X-Grafana-Alerting-Timestamp": String(Math.floor(Date.now() / 1000)) }), 2_000_000),
  ];
  await kill(receiver, "SIGTERM");
  await rm(dir, { recursive: true, force: true });
  return rows;
}

async function secretFile(dir: string): Promise<string> {
  const path = join(dir, "grafana-secret");
  await writeFile(path, `${GRAFANA_SECRET}\n`, { mode: 0o600 });
  return path;
}

/** Issue 13 item 7: with 1,100 slow clients at nofile 1024 a legitimate rollback got ECONNRESET. */
export async function slowClients(count = 1_100): Promise<FaultRow> {
  const dir = await mkdtemp(join(tmpdir(), "faults-slow-"));
  const store = await seeded(dir);
  // As measured in the issue: the receiver limited to 1024 open files.
  const receiver = await startReceiverProcess({ store: `file:${dir}`, prefix: isRoot ? ["prlimit", "--nofile=1024:1024", "--"] : [] });
  const { port } = new URL(receiver.url);
  const sockets: Socket[] = [];
  for (let i = 0; i < count; i++) {
    const socket = connect({ host: "127.0.0.1", port: Number(port) });
    socket.on("error", () => undefined);
    socket.on("connect", () => socket.write("POST /hooks/alertmanager HTTP/1.1\r\nHost: x\r\n"));
    socket.resume();
    sockets.push(socket);
  }
  await sleep(500);
  // Alertmanager retries a failed delivery; count the attempts until the rollback is acknowledged.
  const started = Date.now();
  let attempts = 0;
  let errors5xx = 0;
  let status = 0;
  while (status !== 200 && Date.now() - started < 120_000) {
    attempts++;
    ({ status } = await postHook(`${receiver.url}/hooks/alertmanager`, alertmanagerBody([{ labels: { alertname: "CostGate", deployment: DEPLOYMENT, action: "rollback" } }]), undefined, 10_000));
    if (status >= 500) errors5xx++;
    if (status !== 200) await sleep(1_000);
  }
  const tookS = (Date.now() - started) / 1000;
  const stillOpen = sockets.filter((s) => !s.destroyed && s.readyState === "open").length;
  for (const s of sockets) s.destroy();
  const crashed = receiver.child.exitCode !== null;
  const rolledBack = (await store.read(DEPLOYMENT))?.phase === "rolled_back";
  await kill(receiver, "SIGTERM");
  await rm(dir, { recursive: true, force: true });
  return {
    area: "receiver",
    fault: `${count} slowloris connections, receiver at nofile 1024${isRoot ? "" : " (prlimit unavailable: not root)"}`,
    tries: `${attempts} delivery attempts of one rollback`,
    unwanted: 0,
    errors5xx,
    crashes: crashed ? 1 : 0,
    lostAcks: status === 200 && !rolledBack ? 1 : 0,
    detail: `rollback acknowledged after ${fmt(tookS, 1)} s and ${attempts} attempt(s) (connection cap 512, headers timeout 10 s); slow connections still open then: ${stillOpen}`,
  };
}

/** Issue 13 item 8: a captured signed hold without a timestamp re-paused a resumed rollout 10 of 10 times. */
export async function replays(tries: number): Promise<FaultRow> {
  const dir = await mkdtemp(join(tmpdir(), "faults-replay-"));
  const store = await seeded(dir);
  const receiver = createReceiver({ config: ReceiverConfigSchema.parse({ host: "127.0.0.1", port: 0, auth: { grafana: { secret: GRAFANA_SECRET } } }), store, logger: false });
  const url = await receiver.listen();
  const body = JSON.stringify({ receiver: "x", status: "firing", orgId: 1, alerts: [{ status: "firing", labels: { alertname: "Latency", deployment: DEPLOYMENT, action: "hold" }, annotations: {}, startsAt: new Date().toISOString(), fingerprint: "g" }] });
  const captured = grafanaHeaders(body);
  await postHook(`${url}/hooks/grafana`, body, captured);
  const statuses = new Map<number, number>();
  let repaused = 0;
  for (let i = 0; i < tries; i++) {
    await transition(store, DEPLOYMENT, resume(DEPLOYMENT), { by: "cli:ana", reason: "looked, fine" });
    const { status } = await postHook(`${url}/hooks/grafana`, body, captured);
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
    if ((await store.read(DEPLOYMENT))?.phase === "paused") repaused++;
  }
  const signature = captured["X-Grafana-Alerting-Signature"] ?? "";
  const noTimestamp = await fetch(`${url}/hooks/grafana`, { method: "POST", body, headers: { "content-type": "application/json", "X-Grafana-Alerting-Signature": signature } });
  const message = ((await noTimestamp.json()) as { error: string }).error;
  await receiver.close();
  await rm(dir, { recursive: true, force: true });
  return {
    area: "receiver",
    fault: "replay of a captured signed hold after the operator resumed",
    tries: `${tries} replays`,
    unwanted: repaused,
    errors5xx: [...statuses].filter(([s]) => s >= 500).reduce((n, [, k]) => n + k, 0),
    crashes: 0,
    lostAcks: 0,
    detail: `replies ${[...statuses].map(([s, n]) => `${s}: ${n}`).join(", ")}; a delivery without a timestamp: ${noTimestamp.status} "${message.slice(0, 90)}…"`,
  };
}

function mutate(text: string, rng: () => number): string {
  const chars = [...text];
  const edits = 1 + Math.floor(rng() * 8);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(rng() * chars.length);
    const pick = rng();
    if (pick < 0.3) chars.splice(at, 1);
    else if (pick < 0.6) chars.splice(at, 0, String.fromCharCode(Math.floor(rng() * 0x7f)));
    else if (pick < 0.8) chars[at] = '{["\\'.charAt(Math.floor(rng() * 5));
    else chars.splice(at, 0, "\ud800");
  }
  return chars.join("");
}

/** Issue 13 "what held": 5,000 fuzzed bodies and 94 wrong credentials changed nothing; kept as a regression run. */
export async function fuzzAndCredentials(bodies: number, wrongCredentials = 94): Promise<FaultRow> {
  const dir = await mkdtemp(join(tmpdir(), "faults-fuzz-"));
  const store = await seeded(dir);
  const receiver = await startReceiverProcess({ store: `file:${dir}`, extra: ["--grafana-secret-file", await secretFile(dir)] });
  const before = await store.read(DEPLOYMENT);
  let seed = 42;
  const rng = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const valid = alertmanagerBody([{ labels: { alertname: "CostGate", deployment: DEPLOYMENT, action: "rollback" } }]);
  const statuses = new Map<number, number>();
  const count = (status: number) => statuses.set(status, (statuses.get(status) ?? 0) + 1);
  for (let i = 0; i < bodies; i++) {
    const hook = i % 2 ? "grafana" : "alertmanager";
    // Unauthenticated fuzz (wrong signature on Grafana, no token on Alertmanager).
    count((await postHook(`${receiver.url}/hooks/${hook}`, mutate(valid, rng), hook === "grafana" ? { "X-Grafana-Alerting-Signature": "00", "X-Grafana-Alerting-Timestamp": String(Math.floor(Date.now() / 1000)) } : {})).status);
  }
  for (let i = 0; i < wrongCredentials; i++) {
    const token = `${TOKEN.slice(0, i % TOKEN.length)}x${TOKEN.slice((i % TOKEN.length) + 1)}`;
    count((await postHook(`${receiver.url}/hooks/alertmanager`, valid, { authorization: i % 2 ? `Bearer ${token}` : `Basic ${Buffer.from(`ops:${token}`).toString("base64")}` })).status);
  }
  const after = await store.read(DEPLOYMENT);
  const crashed = receiver.child.exitCode !== null;
  await kill(receiver, "SIGTERM");
  await rm(dir, { recursive: true, force: true });
  return {
    area: "receiver",
    fault: "fuzzed unauthenticated bodies and wrong credentials",
    tries: `${bodies} fuzzed bodies, ${wrongCredentials} wrong credentials`,
    unwanted: (after?.revision ?? 0) - (before?.revision ?? 0),
    errors5xx: [...statuses].filter(([s]) => s >= 500).reduce((n, [, k]) => n + k, 0),
    crashes: crashed ? 1 : 0,
    lostAcks: 0,
    detail: `replies ${[...statuses].sort(([a], [b]) => a - b).map(([s, n]) => `${s}: ${n}`).join(", ")}`,
  };
}

/**
 * Issue 13 item 11 and issue 10 item 5, in one timeline per run: rollout A rolled back; B started
 * (by a host whose clock is an hour ahead, in the skew runs); A's gate re-fires after a
 * Prometheus outage, A's gate keeps firing, B's own gate fires. Counts wrong decisions.
 */
export async function whichRollout(runs: number): Promise<FaultRow[]> {
  const rows: FaultRow[] = [];
  let wrongOutage = 0;
  let blocked = 0;
  let droppedSkew = 0;
  for (let run = 0; run < runs; run++) {
    const dir = await mkdtemp(join(tmpdir(), "faults-scope-"));
    const store = new FileStore({ dir });
    let nowMs = Date.parse("2026-06-01T12:00:00.000Z") + run * 3_600_000;
    const at = () => new Date(nowMs);
    const stages = stagesFrom(DEFAULT_STAGE_PERCENTS, 0, 0);
    const a = await transition(store, DEPLOYMENT, start({ deployment: DEPLOYMENT, baseline: { hash: "00000000000000aa" }, canary: { hash: "00000000000000bb" }, stages }), { by: "cli", reason: "A" }, { now: at });
    const receiver = createReceiver({ config: ReceiverConfigSchema.parse({ host: "127.0.0.1", port: 0, auth: { bearerTokens: [TOKEN] } }), store, logger: false, now: at });
    const url = await receiver.listen();
    const send = async (labels: Record<string, string>, startsAt: number) => {
      const r = await fetch(`${url}/hooks/alertmanager`, { method: "POST", body: alertmanagerBody([{ labels: { deployment: DEPLOYMENT, action: "rollback", ...labels }, startsAt: new Date(startsAt).toISOString() }]), headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` } });
      return ((await r.json()) as { results: { outcome: string }[] }).results[0]?.outcome;
    };
    const idA = a.state?.rolloutId ?? "";
    const aFiredAt = nowMs + 600_000;
    nowMs += 900_000;
    await send({ alertname: "AgentCanaryCost", rollout_id: idA }, aFiredAt);
    await transition(store, DEPLOYMENT, rollback(DEPLOYMENT), { by: "cli", reason: "A done" }, { now: at });
    // B is started by a host whose clock is an hour ahead.
    const b = await transition(store, DEPLOYMENT, start({ deployment: DEPLOYMENT, canary: { hash: "00000000000000cc" }, stages }), { by: "cli", reason: "B" }, { now: () => new Date(nowMs + 3_600_000) });
    const idB = b.state?.rolloutId ?? "";
    const bStart = nowMs;
    await waitForTracker(url, idB);
    nowMs += 600_000;
    if ((await send({ alertname: "AgentCanaryCost", rollout_id: idA }, nowMs - 60_000)) !== "other_rollout") wrongOutage++;
    if ((await send({ alertname: "AgentCanaryCost", rollout_id: idA }, aFiredAt)) !== "other_rollout") wrongOutage++;
    // B's own gate fires while A's episode still runs: its own series, it names B.
    if ((await send({ alertname: "AgentCanaryLoops", rollout_id: idB }, bStart + 60_000)) !== "changed") blocked++;
    // A user's rule without rollout_id that began firing 5 minutes after B's true start, re-sent 2 h later.
    nowMs = bStart + 7_200_000;
    if ((await send({ alertname: "MyRule", severity: "page" }, bStart + 300_000)) === "stale") droppedSkew++;
    await receiver.close();
    await rm(dir, { recursive: true, force: true });
  }
  rows.push({ area: "alerts", fault: "rollout A's gate re-fires after a 4-minute Prometheus outage, and keeps firing, after healthy B started", tries: `${runs} runs x 2 alerts`, unwanted: wrongOutage, errors5xx: 0, crashes: 0, lostAcks: 0, detail: "alerts carry rollout_id: about A, recorded as other_rollout" });
  rows.push({ area: "alerts", fault: "B started by a host whose clock is 1 h ahead; a real rollback alert without rollout_id re-sent 2 h later", tries: `${runs} runs`, unwanted: droppedSkew, errors5xx: 0, crashes: 0, lostAcks: 0, detail: "count = real alerts dropped as stale (the receiver judges by when it saw B start)" });
  rows.push({ area: "alerts", fault: "B's own gate fires while A's episode still runs", tries: `${runs} runs`, unwanted: blocked, errors5xx: 0, crashes: 0, lostAcks: 0, detail: "count = B's rollback blocked" });
  return rows;
}

async function waitForTracker(url: string, rolloutId: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const text = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
    if (text.includes(`rollout_id="${rolloutId}"`)) return;
    await sleep(10);
  }
  throw new Error(`the receiver did not see rollout ${rolloutId}`);
}
