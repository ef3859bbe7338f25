import { openStore } from "@agent-canary/rollout-state";
import type { ReceiverConfig } from "../receiver/config.js";
import { ReceiverStartError } from "../receiver/durability-check.js";
import { createReceiver } from "../receiver/server.js";
import { CliError } from "./io.js";

/** Runs the receiver until SIGTERM or SIGINT, then lets in-flight requests finish. */
export async function serve(config: ReceiverConfig, logLevel: string): Promise<void> {
  const store = openStore(config.store, { waitReplicas: config.redisWaitReplicas });
  const receiver = createReceiver({ config, store, logger: { level: logLevel } });
  try {
    const address = await receiver.listen();
    receiver.app.log.info({ address, store: config.store, deployments: config.deployments, tls: Boolean(config.tls) }, "receiver listening");
  } catch (error) {
    await receiver.close().catch(() => undefined);
    if (error instanceof ReceiverStartError) throw new CliError(error.message);
    throw error;
  }
  await new Promise<void>((resolve) => {
    const shutdown = (signal: string) => {
      receiver.app.log.info({ signal }, "shutting down: finishing in-flight requests");
      void receiver.close().then(resolve, (error: unknown) => {
        receiver.app.log.error({ err: error }, "shutdown failed");
        resolve();
      });
    };
    process.once("SIGTERM", () => shutdown("SIGTERM"));
    process.once("SIGINT", () => shutdown("SIGINT"));
  });
}
