import { connect, type Socket } from "node:net";
import type { Receiver } from "@agent-canary/rollout";
import { waitFor } from "@agent-canary/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { amPayload, post, seedDeployment, startReceiver, tempStore } from "./helpers.js";

let receiver: Receiver | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await receiver?.close();
  receiver = undefined;
});

/** A client that connects and sends the start of a request, then nothing (slowloris). */
function slowClient(url: string): { socket: Socket; closed: Promise<void> } {
  const { hostname, port } = new URL(url);
  const socket = connect({ host: hostname, port: Number(port) });
  sockets.push(socket);
  socket.on("error", () => undefined);
  // Read what the server sends (its 408), so the socket sees the server's end and closes.
  socket.resume();
  socket.on("connect", () => socket.write("POST /hooks/alertmanager HTTP/1.1\r\nHost: x\r\n"));
  return { socket, closed: new Promise((resolve) => socket.once("close", () => resolve())) };
}

const rollbackBody = JSON.stringify(amPayload([{ labels: { alertname: "Cost", deployment: "shop", action: "rollback" } }]));

describe("receiver: slow and too many clients", () => {
  it("closes connections that do not finish their headers in time", async () => {
    const store = await tempStore();
    await seedDeployment(store, "shop");
    let url: string;
    ({ receiver, url } = await startReceiver(store, { limits: { headersTimeoutMs: 500, requestTimeoutMs: 1_000 } }));
    const slow = Array.from({ length: 20 }, () => slowClient(url));
    // Every one of them is cut off by the server; none stays open.
    await Promise.all(slow.map((c) => c.closed));
    expect((await post(`${url}/hooks/alertmanager`, rollbackBody)).status).toBe(200);
  });

  it("caps connections: beyond the cap a connection is closed at once, and a rollback gets through once slow clients are cut off", async () => {
    const store = await tempStore();
    await seedDeployment(store, "shop");
    let url: string;
    ({ receiver, url } = await startReceiver(store, { limits: { maxConnections: 10, headersTimeoutMs: 1_000, requestTimeoutMs: 2_000 } }));
    const slow = Array.from({ length: 10 }, () => slowClient(url));
    await waitFor(() => slow.every((c) => c.socket.readyState === "open"), { what: "ten slow connections open" });
    // The eleventh is refused (closed by the server) while the cap is full.
    const eleventh = slowClient(url);
    await eleventh.closed;
    // Alertmanager retries a failed delivery: the rollback lands once the slow ones are gone.
    await Promise.all(slow.map((c) => c.closed));
    const response = await waitFor(() => post(`${url}/hooks/alertmanager`, rollbackBody).catch(() => undefined), { what: "the rollback delivered" });
    expect(response.status).toBe(200);
    expect((await store.read("shop"))?.canaryPercent).toBe(0);
  });
});
