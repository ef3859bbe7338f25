import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface Delivery {
  authorization: string | undefined;
  alerts: { status: string; labels: Record<string, string>; annotations: Record<string, string> }[];
}

/** Stands in for the agent-canary receiver: records what Alertmanager posts to the hook path. */
export async function captureHooks(): Promise<{ server: Server; url: string; deliveries: Delivery[] }> {
  const deliveries: Delivery[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      if (req.url === "/hooks/alertmanager") deliveries.push({ authorization: req.headers.authorization, ...(JSON.parse(body) as Omit<Delivery, "authorization">) });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, deliveries };
}
