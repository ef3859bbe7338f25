/**
 * A router process stand-in: follows the rollout state through store.watch()
 * (what the agent's Router does) and reports, over IPC, the moment each new
 * revision arrived. Started by propagation.ts.
 */
import { openBenchStore, wallNow, type StoreKind } from "./stores.ts";

const [kind, where, deployment] = process.argv.slice(2) as [StoreKind, string, string];
const store = openBenchStore(kind, where);
let last = -1;
const stop = store.watch(deployment, (event) => {
  if (event.kind !== "state" || event.state.revision <= last) return;
  last = event.state.revision;
  process.send?.({ revision: last, at: wallNow(), percent: event.state.canaryPercent });
});
process.send?.({ ready: true });
process.on("message", (message: { stop?: boolean }) => {
  if (!message.stop) return;
  stop();
  void store.close().then(() => process.exit(0));
});
