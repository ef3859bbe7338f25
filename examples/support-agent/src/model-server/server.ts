import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { z } from "zod";
import { type BehaviourOptions, BehaviourSchema, type ChatMessage, ChatMessageSchema, type Move, nextMove } from "./behaviour.js";
import { between, seeded } from "./random.js";

export const ModelServerOptionsSchema = z.object({
  /** Seed of every random draw: the same seed and traffic give the same answers. */
  seed: z.number().int().default(1),
  host: z.string().default("127.0.0.1"),
  /** 0 picks a free port. */
  port: z.number().int().min(0).max(65535).default(0),
  /** Behaviour per model name; models not listed behave as `defaultBehaviour`. */
  models: z.record(z.string(), BehaviourSchema).default({}),
  defaultBehaviour: BehaviourSchema.prefault({}),
});
export type ModelServerOptions = z.input<typeof ModelServerOptionsSchema>;

const ChatRequestSchema = z.object({
  model: z.string().min(1),
  messages: z.array(ChatMessageSchema).min(1),
  tools: z.array(z.unknown()).optional(),
  stream: z.boolean().optional(),
  stream_options: z.object({ include_usage: z.boolean().optional() }).nullish(),
});
type ChatRequest = z.infer<typeof ChatRequestSchema>;

export interface ModelServer {
  /** Base URL for the openai SDK (`baseURL`), ending in /v1. */
  readonly baseURL: string;
  readonly port: number;
  /** Chat completion requests served so far. */
  requests(): number;
  close(): Promise<void>;
}

/**
 * A scripted, OpenAI-compatible model server for the example agent:
 * `POST /v1/chat/completions`, JSON or SSE streaming (with the final usage
 * chunk when `stream_options.include_usage` is set), tool calls and usage.
 */
export async function startModelServer(options: ModelServerOptions = {}): Promise<ModelServer> {
  const o = ModelServerOptionsSchema.parse(options);
  let served = 0;
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => sendError(res, 500, error instanceof Error ? error.message : String(error)));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== "POST" || req.url?.split("?")[0] !== "/v1/chat/completions") {
      sendError(res, 404, `no route ${req.method} ${req.url}; this server answers POST /v1/chat/completions`);
      return;
    }
    let raw = "";
    for await (const chunk of req) raw += chunk;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      sendError(res, 400, "the request body is not JSON");
      return;
    }
    const parsed = ChatRequestSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      sendError(res, 400, `invalid request at ${issue?.path.join(".") || "body"}: ${issue?.message}`);
      return;
    }
    served++;
    const request = parsed.data;
    const behaviour = o.models[request.model] ?? o.defaultBehaviour;
    const { messages } = request;
    const move = nextMove(o.seed, request.model, behaviour, messages);
    const usage = usageOf(o.seed, request, move, behaviour.tokenScale, messages);
    const id = `chatcmpl-${served}`;
    if (request.stream) streamMove(res, id, request, move, usage);
    else sendJson(res, 200, completion(id, request.model, move, usage));
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port, o.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    baseURL: `http://${o.host}:${port}/v1`,
    port,
    requests: () => served,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** Roughly 4 characters a token, plus some hidden reasoning that verbose models spend more of. */
function usageOf(seed: number, request: ChatRequest, move: Move, tokenScale: number, messages: ChatMessage[]): Usage {
  const prompt = Math.ceil((JSON.stringify(messages).length + JSON.stringify(request.tools ?? []).length) / 4);
  const said = move.kind === "answer" ? move.text : JSON.stringify(move.calls) + (move.preamble ?? "");
  // Drawn per session and turn, not per model or prompt length: two versions that behave
  // alike must cost alike on average, or an A/A canary shows a cost difference of its own.
  const ticket = JSON.stringify(messages.find((m) => m.role === "user")?.content ?? "");
  const turn = messages.filter((m) => m.role === "assistant").length;
  const reasoning = between(seeded(seed, ticket, turn, "reasoning"), 10, 80);
  const completion = Math.ceil((said.length / 4 + reasoning) * tokenScale);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

function toolCalls(move: Move) {
  if (move.kind !== "tools") return undefined;
  return move.calls.map((c, i) => ({ id: `call_${i}_${c.name}`, type: "function" as const, function: { name: c.name, arguments: JSON.stringify(c.args) } }));
}

function completion(id: string, model: string, move: Move, usage: Usage) {
  const calls = toolCalls(move);
  return {
    id,
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [
      {
        index: 0,
        message: { role: "assistant", content: move.kind === "answer" ? move.text : (move.preamble ?? null), refusal: null, ...(calls ? { tool_calls: calls } : {}) },
        logprobs: null,
        finish_reason: calls ? "tool_calls" : "stop",
      },
    ],
    usage,
  };
}

function streamMove(res: ServerResponse, id: string, request: ChatRequest, move: Move, usage: Usage): void {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
  const base = { id, object: "chat.completion.chunk", created: Math.floor(Date.now() / 1000), model: request.model };
  const send = (payload: unknown) => res.write(`data: ${JSON.stringify(payload)}\n\n`);
  const delta = (d: Record<string, unknown>, finish: string | null = null) => send({ ...base, choices: [{ index: 0, delta: d, logprobs: null, finish_reason: finish }] });
  delta({ role: "assistant", content: "" });
  const text = move.kind === "answer" ? move.text : move.preamble;
  if (text) for (const piece of text.match(/.{1,16}/gs) ?? []) delta({ content: piece });
  for (const [index, call] of (toolCalls(move) ?? []).entries()) {
    delta({ tool_calls: [{ index, id: call.id, type: "function", function: { name: call.function.name, arguments: "" } }] });
    for (const piece of call.function.arguments.match(/.{1,12}/gs) ?? []) delta({ tool_calls: [{ index, function: { arguments: piece } }] });
  }
  delta({}, move.kind === "tools" ? "tool_calls" : "stop");
  if (request.stream_options?.include_usage) send({ ...base, choices: [], usage });
  res.end("data: [DONE]\n\n");
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

function sendError(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  sendJson(res, status, { error: { message, type: status === 400 ? "invalid_request_error" : "server_error", param: null, code: null } });
}
