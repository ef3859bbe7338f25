import type { Redis } from "ioredis";
import type { DurabilityReport } from "../store.js";

/** `field:value` lines of an INFO section. */
export function infoFields(info: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of info.split(/\r?\n/)) {
    const colon = line.indexOf(":");
    // Section headers ("# Persistence") have no colon.
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  return fields;
}

interface NodeDurability {
  aof: boolean;
  /** "always", "everysec", "no", or "unknown" where CONFIG is disabled (managed Redis). */
  fsync: string;
  replicas: number;
}

async function nodeDurability(node: Redis): Promise<NodeDurability> {
  const persistence = infoFields(await node.info("persistence"));
  const replication = infoFields(await node.info("replication"));
  let fsync = "unknown";
  try {
    const reply = (await node.config("GET", "appendfsync")) as string[];
    fsync = reply[1] ?? fsync;
  } catch {
    // CONFIG is often renamed or disabled on managed Redis: say so rather than guess.
  }
  return { aof: persistence.get("aof_enabled") === "1", fsync, replicas: Number(replication.get("connected_slaves") ?? 0) };
}

const ADVICE =
  "make acknowledgements durable with `appendonly yes` and `appendfsync always` on every master (redis.conf or CONFIG SET), or run replicas and pass waitReplicas (--redis-wait-replicas N) so each write is acknowledged only once N replicas have it";

/**
 * Whether a write this store acknowledged survives Redis being killed right after: with
 * the default configuration (no AOF, or AOF with fsync every second) it does not, and a
 * rollback acknowledged with 2xx can come undone (the state reverts to the canary's percent).
 */
export async function redisDurability(masters: Redis[], waitReplicas: number): Promise<DurabilityReport> {
  const findings: string[] = [];
  let durable = masters.length > 0;
  for (const [index, node] of masters.entries()) {
    const d = await nodeDurability(node);
    const name = masters.length > 1 ? `master ${index + 1}/${masters.length}` : "redis";
    const fsyncAlways = d.aof && d.fsync === "always";
    const replicated = waitReplicas > 0 && d.replicas >= waitReplicas;
    findings.push(
      `${name}: appendonly ${d.aof ? "yes" : "no"}, appendfsync ${d.fsync}, ${d.replicas} connected replica(s)${waitReplicas > 0 ? `, writes wait for ${waitReplicas}` : ""}`,
    );
    if (!fsyncAlways && !replicated) durable = false;
  }
  return durable ? { durable, findings } : { durable, findings, advice: ADVICE };
}
