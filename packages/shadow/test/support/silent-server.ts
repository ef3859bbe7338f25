import { EventEmitter, once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * An OpenAI-compatible endpoint that reads each request and never answers:
 * a judge or embeddings API that hangs. It tells when a request arrives and
 * when the client gives up on it (closes the connection), so a test can wait
 * on those events instead of the clock.
 */
export interface SilentServer {
  readonly baseURL: string;
  /** Paths of requests received, in order. */
  readonly received: string[];
  /** Requests whose connection the client closed. */
  readonly closedByClient: string[];
  /** Resolves once `count` requests (to `path`, when given) have arrived. */
  arrived(count: number, path?: string): Promise<void>;
  /** Resolves once the client has closed `count` requests (to `path`, when given). */
  abandonedByClient(count: number, path?: string): Promise<void>;
  close(): Promise<void>;
}

export async function startSilentServer(): Promise<SilentServer> {
  const received: string[] = [];
  const closedByClient: string[] = [];
  const events = new EventEmitter();
  const server = createServer((req, res) => {
    const path = req.url?.split("?")[0] ?? "";
    req.resume();
    req.on("end", () => {
      received.push(path);
      events.emit("change");
    });
    // The response is never written: only the client can end this exchange.
    res.on("close", () => {
      closedByClient.push(path);
      events.emit("change");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const until = async (list: string[], count: number, path: string | undefined): Promise<void> => {
    while (list.filter((p) => path === undefined || p === path).length < count) await once(events, "change");
  };
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    received,
    closedByClient,
    arrived: (count, path) => until(received, count, path),
    abandonedByClient: (count, path) => until(closedByClient, count, path),
    close: () =>
      new Promise((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
