import { execFileSync, spawnSync } from "node:child_process";
import { mkdtemp, open, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileStore, rollback, start, stagesFrom, transition } from "@agent-canary/rollout-state";
import type { Receiver } from "@agent-canary/rollout";
import { waitFor } from "@agent-canary/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { TOKEN, amPayload, post, seedDeployment, startReceiver, tempStore } from "./helpers.js";

let receiver: Receiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});
const auth = { authorization: `Bearer ${TOKEN}` };
/** A small tmpfs to fill up needs root (mount) and Linux. */
const canMount = process.platform === "linux" && process.getuid?.() === 0 && spawnSync("mount", ["--version"]).status === 0;

describe("receiver: /healthz is the process, /readyz the store", () => {
  it.skipIf(!canMount)("answers /readyz 503 with a reason and no path while the store's disk is full, /healthz 200 throughout", async () => {
    const dir = await mkdtemp(join(tmpdir(), "agent-canary-readyz-"));
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=512k", "tmpfs", dir]);
    try {
      const store = new FileStore({ dir });
      await seedDeployment(store, "shop");
      let url: string;
      ({ receiver, url } = await startReceiver(store));
      expect(await (await fetch(`${url}/readyz`)).json()).toEqual({ ready: true });
      const filler = await open(join(dir, "filler"), "w");
      await filler.write(Buffer.alloc(1024 * 1024)).catch(() => undefined);
      for (;;) if (!(await filler.write(Buffer.alloc(4096)).then(() => true, () => false))) break;
      await filler.close();
      const notReady = await fetch(`${url}/readyz`);
      expect(notReady.status).toBe(503);
      const body = await notReady.text();
      expect(JSON.parse(body)).toEqual({ ready: false, store: "the file store's directory cannot be written (ENOSPC)" });
      expect(body).not.toContain(dir);
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      await rm(join(dir, "filler"));
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
    } finally {
      await receiver?.close();
      receiver = undefined;
      execFileSync("umount", [dir]);
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("lists an unreadable deployment on /readyz and /metrics, and shows neither paths nor file contents on /state", async () => {
    const store = await tempStore();
    await seedDeployment(store, "shop");
    await seedDeployment(store, "billing");
    let url: string;
    ({ receiver, url } = await startReceiver(store));
    // billing's state file now points at another file of the host.
    const secret = join(store.dir, "..", `secret-${Date.now()}.txt`);
    await writeFile(secret, "root:x:0:0:root:/root:/bin/bash\n");
    await rm(join(store.dir, "billing.json"));
    await symlink(secret, join(store.dir, "billing.json"));
    // shop's state file is not JSON.
    await writeFile(join(store.dir, "shop.json"), "root:x:0:0 not json");
    const ready = await waitFor(async () => {
      const body = (await (await fetch(`${url}/readyz`)).json()) as { unreadable?: unknown[] };
      return body.unreadable?.length === 2 ? body : undefined;
    }, { what: "both deployments listed as unreadable" });
    expect(ready).toMatchObject({ ready: true, unreadable: expect.arrayContaining([{ deployment: "shop", problem: 'invalid: invalid rollout state: not valid JSON' }]) });
    for (const path of ["/state", "/state?deployment=shop", "/state?deployment=billing", "/readyz"]) {
      const text = await (await fetch(`${url}${path}`, { headers: auth })).text();
      expect(text, path).not.toContain(store.dir);
      expect(text, path).not.toContain("root:x");
    }
    expect((await fetch(`${url}/state?deployment=billing`, { headers: auth })).status).toBe(503);
    const metrics = await (await fetch(`${url}/metrics`, { headers: auth })).text();
    expect(metrics).toMatch(/agent_canary_receiver_state_readable\{deployment="shop"\} 0/);
    await rm(secret);
  });
});

describe("receiver: rollout info on /metrics", () => {
  it("serves agent_canary_rollout_info for each deployment from the store, following writes made elsewhere", async () => {
    const store = await tempStore();
    await seedDeployment(store, "shop");
    let url: string;
    ({ receiver, url } = await startReceiver(store));
    const first = await store.read("shop");
    const metrics = async () => (await fetch(`${url}/metrics`, { headers: auth })).text();
    expect(await metrics()).toContain(`agent_canary_rollout_info{deployment="shop",rollout_id="${first?.rolloutId}",baseline_hash="00000000000000aa",canary_hash="00000000000000bb",phase="progressing"} 1`);
    // The CLI rolls back and starts the next rollout: the receiver hears of it through the watch.
    await transition(store, "shop", rollback("shop"), { by: "cli:ana", reason: "x" });
    const next = await transition(store, "shop", start({ deployment: "shop", canary: { hash: "00000000000000cc" }, stages: stagesFrom([1, 100], 0, 0) }), { by: "cli:ana", reason: "v3" }, { now: () => new Date(Date.now() + 1000) });
    const id = next.state?.rolloutId;
    const seen = await waitFor(async () => {
      const text = await metrics();
      return text.includes(`rollout_id="${id}"`) ? text : undefined;
    }, { what: "the new rollout's info series" });
    expect(seen).toContain(`agent_canary_rollout_info{deployment="shop",rollout_id="${id}",baseline_hash="00000000000000aa",canary_hash="00000000000000cc",phase="progressing"} 1`);
    expect(seen.match(/agent_canary_rollout_info\{/g)).toHaveLength(1);
  });
});

describe("receiver: TLS", () => {
  it("serves hooks over HTTPS with the given certificate and key", async () => {
    const dir = await mkdtemp(join(tmpdir(), "agent-canary-tls-"));
    const cert = join(dir, "tls.crt");
    const key = join(dir, "tls.key");
    execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"], { stdio: "ignore" });
    const store = await tempStore();
    await seedDeployment(store, "shop");
    let url: string;
    const logs: string[] = [];
    ({ receiver, url } = await startReceiver(store, { tls: { certFile: cert, keyFile: key } }, { logs }));
    expect(url).toMatch(/^https:\/\//);
    // The operator reads the log to know how to reach it: every "listening at" line says https.
    const listening = logs.filter((line) => line.includes("Server listening at"));
    expect(listening.length).toBeGreaterThan(0);
    for (const line of listening) expect(line).toMatch(/"Server listening at https:\/\/127\.0\.0\.1:\d+"/);
    const ca = await readFile(cert);
    const body = JSON.stringify(amPayload([{ labels: { alertname: "Cost", deployment: "shop", action: "rollback" } }]));
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${url}/hooks/alertmanager`, { method: "POST", ca, headers: { "content-type": "application/json", ...auth } }, (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      });
      req.on("error", reject);
      req.end(body);
    });
    expect(status).toBe(200);
    expect((await store.read("shop"))?.phase).toBe("rolled_back");
    // Plain HTTP to the TLS port gets no answer a client could mistake for success.
    await expect(post(url.replace("https:", "http:"), body).then((r) => r.status)).rejects.toThrow();
    await rm(dir, { recursive: true, force: true });
  });
});
