/**
 * Where the bytes of a live session go: heap snapshots of the uninstrumented
 * and the agent-canary variant with the same live sessions, aggregated by
 * object type (self sizes), difference per session. A diagnosis aid for the
 * memory figure in overhead.md, not a benchmark of its own.
 *   node src/overhead/heap-breakdown.ts [--sessions 2000] [--top 20]
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { runJsonChild } from "../lib/child.ts";
import { fmt, table, writeResult } from "../lib/report.ts";

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
  nodes: number[];
  strings: string[];
}

/** Count and self size per "type:constructor" key. */
async function aggregate(file: string): Promise<Map<string, { count: number; bytes: number }>> {
  const s = JSON.parse(await readFile(file, "utf8")) as Snapshot;
  const fields = s.snapshot.meta.node_fields;
  const types = s.snapshot.meta.node_types[0];
  const [ti, ni, si] = ["type", "name", "self_size"].map((f) => fields.indexOf(f)) as [number, number, number];
  const out = new Map<string, { count: number; bytes: number }>();
  for (let i = 0; i < s.nodes.length; i += fields.length) {
    const type = types[s.nodes[i + ti] ?? 0] ?? "?";
    const key = type === "object" || type === "closure" ? `${type}: ${s.strings[s.nodes[i + ni] ?? 0] || "(anonymous)"}` : type;
    const e = out.get(key) ?? { count: 0, bytes: 0 };
    e.count++;
    e.bytes += s.nodes[i + si] ?? 0;
    out.set(key, e);
  }
  return out;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { sessions: { type: "string", default: "2000" }, top: { type: "string", default: "20" } } });
  const sessions = Number(values.sessions);
  const dir = await mkdtemp(join(tmpdir(), "bench-heap-"));
  const script = fileURLToPath(new URL("./variant.ts", import.meta.url));
  try {
    const files = { none: join(dir, "none.heapsnapshot"), ours: join(dir, "ours.heapsnapshot") };
    await runJsonChild(script, ["none-openai7", "memory", String(sessions), files.none], ["--expose-gc"]);
    await runJsonChild(script, ["ours-openai7", "memory", String(sessions), files.ours], ["--expose-gc"]);
    const [none, ours] = [await aggregate(files.none), await aggregate(files.ours)];
    const rows = [...ours].map(([key, e]) => {
      const base = none.get(key) ?? { count: 0, bytes: 0 };
      return { key, count: (e.count - base.count) / sessions, bytes: (e.bytes - base.bytes) / sessions };
    });
    rows.sort((a, b) => b.bytes - a.bytes);
    const total = rows.reduce((sum, r) => sum + r.bytes, 0);
    writeResult(
      "heap-breakdown",
      "Where a live session's bytes go (heap snapshot diff)",
      `openai 7, ${sessions.toLocaleString("en-US")} live sessions, agent-canary minus uninstrumented, self sizes by V8 object type per session (one-off code and caches are spread over the sessions too, so the total is above the marginal figure in memory.md). Total: ${fmt(total, 0)} bytes per session.\n\n` +
        table(["V8 type: constructor", "objects / session", "bytes / session"], rows.slice(0, Number(values.top)).map((r) => [r.key, fmt(r.count, 2), fmt(r.bytes, 0)])),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
