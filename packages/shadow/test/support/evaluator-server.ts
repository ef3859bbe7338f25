import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** What the scripted judge saw: which position held the answer that cites tool facts. */
export interface JudgeCall {
  readonly model: string;
  readonly factsIn: "A" | "B" | "both" | "neither";
}

export interface EvaluatorServer {
  readonly baseURL: string;
  readonly judgeCalls: JudgeCall[];
  close(): Promise<void>;
}

const FACT = /R-A\d+|KB-\d+|processing|shipped|delivered/;
const DIMENSIONS = 64;

/** A deterministic "embedding": token counts hashed into 64 buckets. */
function embed(text: string): number[] {
  const vector = new Array<number>(DIMENSIONS).fill(0);
  for (const token of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
    const bucket = createHash("sha256").update(token).digest().readUInt16BE(0) % DIMENSIONS;
    vector[bucket] = (vector[bucket] ?? 0) + 1;
  }
  return vector;
}

interface JudgeBody {
  model: string;
  messages: { role: string; content: string }[];
}

/** The scripted judge: prefers the answer that states what the tools found. Model "broken-judge" replies with prose. */
function judge(body: JudgeBody, calls: JudgeCall[]): string {
  if (body.model === "broken-judge") return "I think answer A is nicer.";
  const user = JSON.parse(body.messages.find((m) => m.role === "user")?.content ?? "{}") as { A: { answer: string }; B: { answer: string } };
  const a = FACT.test(user.A.answer);
  const b = FACT.test(user.B.answer);
  calls.push({ model: body.model, factsIn: a && b ? "both" : a ? "A" : b ? "B" : "neither" });
  const better = a === b ? "tie" : a ? "A" : "B";
  return JSON.stringify({ better, scoreA: a ? 0.9 : 0.2, scoreB: b ? 0.9 : 0.2, reason: better === "tie" ? "both state the same facts" : `only ${better} states what the tools found` });
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  let raw = "";
  for await (const chunk of req) raw += chunk;
  return JSON.parse(raw);
}

function send(res: ServerResponse, body: unknown): void {
  res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
}

/** An OpenAI-compatible evaluator on loopback: /v1/chat/completions (a scripted judge) and /v1/embeddings. */
export async function startEvaluatorServer(): Promise<EvaluatorServer> {
  const judgeCalls: JudgeCall[] = [];
  const server = createServer((req, res) => {
    void (async () => {
      const path = req.url?.split("?")[0];
      if (req.method === "POST" && path === "/v1/embeddings") {
        const body = (await readJson(req)) as { model: string; input: string };
        send(res, { object: "list", model: body.model, data: [{ object: "embedding", index: 0, embedding: embed(body.input) }], usage: { prompt_tokens: 1, total_tokens: 1 } });
      } else if (req.method === "POST" && path === "/v1/chat/completions") {
        const body = (await readJson(req)) as JudgeBody;
        const content = judge(body, judgeCalls);
        send(res, {
          id: "judge-1",
          object: "chat.completion",
          created: 0,
          model: body.model,
          choices: [{ index: 0, finish_reason: "stop", message: { role: "assistant", content } }],
          usage: { prompt_tokens: 100, completion_tokens: 20, total_tokens: 120 },
        });
      } else {
        res.writeHead(404).end();
      }
    })().catch((error: unknown) => res.writeHead(500).end(String(error)));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    judgeCalls,
    close: () => new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}
