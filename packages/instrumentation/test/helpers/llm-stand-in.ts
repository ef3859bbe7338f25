import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createH2cServer, type Http2ServerRequest, type Http2ServerResponse } from "node:http2";
import type { AddressInfo } from "node:net";
import { converseHasToolResult, converseResponse, converseStreamFrames } from "./stand-in-bedrock.js";
import { geminiHasToolResult, geminiResponse, geminiStreamChunks } from "./stand-in-gemini.js";

/** What the stand-in answers to one request. `usage: null` answers without usage. */
export interface Reply {
  model?: string;
  text?: string;
  toolCalls?: { name: string; args: Record<string, unknown> }[];
  usage?: { input: number; output: number; cached?: number } | null;
  /** Set by the server: the request's number, so every response id is distinct. */
  id?: string;
}

export type Api = "chat" | "responses" | "messages" | "gemini" | "converse";
export type Script = (api: Api, body: Record<string, unknown>) => Reply;

/**
 * A local HTTP server speaking the wire protocols the SDKs use (OpenAI chat
 * completions and responses, Anthropic messages, Gemini generateContent,
 * Bedrock Converse), streaming included, so tests run the real SDKs end to
 * end without the internet.
 */
export async function startLlmStandIn(script: Script) {
  const requests: { api: Api; body: Record<string, unknown> }[] = [];
  const serve = (req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse) => {
    void handle(req, res).catch((error: unknown) => {
      res.statusCode = 500;
      res.end(String(error));
    });
  };
  const server = createServer(serve);
  // The same routes over cleartext HTTP/2: the Bedrock runtime client speaks only HTTP/2 by default.
  const h2c = createH2cServer(serve);
  async function handle(req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse) {
    let raw = "";
    for await (const chunk of req) raw += chunk;
    const body = JSON.parse(raw || "{}") as Record<string, unknown>;
    const path = decodeURIComponent((req.url ?? "").split("?")[0] ?? "");
    const route = routeOf(path);
    const api = route?.api;
    if (route?.model) body.model = route.model;
    if (route?.stream) body.stream = true;
    if (!api) {
      res.statusCode = 404;
      res.end(JSON.stringify({ error: { message: `no route ${req.url}` } }));
      return;
    }
    if (typeof body.model === "string" && body.model.startsWith("fail-")) {
      res.statusCode = 400;
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ type: "error", error: { type: "invalid_request_error", message: "scripted failure" } }));
      return;
    }
    requests.push({ api, body });
    const reply = { model: String(body.model), ...script(api, body), id: String(requests.length) };
    res.setHeader("x-request-id", `req_${requests.length}`);
    // HTTP/1 and HTTP/2 responses write alike; their overloads do not unify, this one signature does.
    const out: { write(chunk: string | Uint8Array): unknown } = res;
    if (body.stream === true && api === "converse") {
      res.setHeader("content-type", "application/vnd.amazon.eventstream");
      for (const frame of converseStreamFrames(reply)) out.write(frame);
      res.end();
      return;
    }
    if (body.stream === true) {
      res.setHeader("content-type", "text/event-stream");
      for (const [event, data] of streamEvents(api, reply, body)) {
        out.write(`${event ? `event: ${event}\n` : ""}data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`);
      }
      res.end();
      return;
    }
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify(fullResponse(api, reply)));
  }
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  await new Promise<void>((resolve) => h2c.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    h2cUrl: `http://127.0.0.1:${(h2c.address() as AddressInfo).port}`,
    requests,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => h2c.close(() => resolve()));
    },
  };
}

/** Which API a path belongs to; Gemini and Bedrock carry the model (and streaming) in the path. */
function routeOf(path: string): { api: Api; model?: string; stream?: boolean } | undefined {
  if (path.endsWith("/chat/completions")) return { api: "chat" };
  if (path.endsWith("/responses")) return { api: "responses" };
  if (path.endsWith("/messages")) return { api: "messages" };
  const gemini = /\/models\/([^/:]+):(generateContent|streamGenerateContent)$/.exec(path);
  if (gemini) return { api: "gemini", model: gemini[1] ?? "", stream: gemini[2] === "streamGenerateContent" };
  const converse = /\/model\/([^/]+)\/(converse|converse-stream)$/.exec(path);
  if (converse) return { api: "converse", model: converse[1] ?? "", stream: converse[2] === "converse-stream" };
  return undefined;
}

/** Whether the request carries a tool's result (the agent ran the tool the model asked for). */
export function hasToolResult(api: Api, body: Record<string, unknown>): boolean {
  const items = (api === "responses" ? body.input : body.messages) as Record<string, unknown>[] | undefined;
  switch (api) {
    case "chat":
      return (items ?? []).some((m) => m.role === "tool");
    case "responses":
      return Array.isArray(items) && items.some((m) => m.type === "function_call_output");
    case "messages":
      return (items ?? []).some((m) => Array.isArray(m.content) && (m.content as { type?: string }[]).some((c) => c.type === "tool_result"));
    case "gemini":
      return geminiHasToolResult(body);
    case "converse":
      return converseHasToolResult(body);
  }
}

function fullResponse(api: Api, r: Reply): unknown {
  if (api === "gemini") return geminiResponse(r);
  if (api === "converse") return converseResponse(r);
  const calls = r.toolCalls ?? [];
  if (api === "chat") {
    return {
      id: `chatcmpl-${r.id}`, object: "chat.completion", created: 1, model: r.model,
      choices: [{
        index: 0,
        message: { role: "assistant", content: r.text ?? null, ...(calls.length ? { tool_calls: calls.map((c, i) => ({ id: `call_${r.id}_${i}`, type: "function", function: { name: c.name, arguments: JSON.stringify(c.args) } })) } : {}) },
        finish_reason: calls.length ? "tool_calls" : "stop",
      }],
      ...(r.usage ? { usage: { prompt_tokens: r.usage.input, completion_tokens: r.usage.output, total_tokens: r.usage.input + r.usage.output, prompt_tokens_details: { cached_tokens: r.usage.cached ?? 0 } } } : {}),
    };
  }
  if (api === "responses") {
    return {
      id: `resp_${r.id}`, object: "response", created_at: 1, model: r.model, status: "completed",
      output: [
        ...(r.text ? [{ type: "message", id: "msg_1", role: "assistant", status: "completed", content: [{ type: "output_text", text: r.text, annotations: [] }] }] : []),
        ...calls.map((c, i) => ({ type: "function_call", id: `fc_${r.id}_${i}`, call_id: `call_${r.id}_${i}`, name: c.name, arguments: JSON.stringify(c.args), status: "completed" })),
      ],
      ...(r.usage ? { usage: { input_tokens: r.usage.input, output_tokens: r.usage.output, total_tokens: r.usage.input + r.usage.output, input_tokens_details: { cached_tokens: r.usage.cached ?? 0 }, output_tokens_details: { reasoning_tokens: 0 } } } : {}),
    };
  }
  return {
    id: `msg_${r.id}`, type: "message", role: "assistant", model: r.model,
    content: [...(r.text ? [{ type: "text", text: r.text }] : []), ...calls.map((c, i) => ({ type: "tool_use", id: `toolu_${r.id}_${i}`, name: c.name, input: c.args }))],
    stop_reason: calls.length ? "tool_use" : "end_turn", stop_sequence: null,
    usage: r.usage ? { input_tokens: r.usage.input, output_tokens: r.usage.output, cache_read_input_tokens: r.usage.cached ?? 0, cache_creation_input_tokens: 0 } : undefined,
  };
}

function* streamEvents(api: Api, r: Reply, body: Record<string, unknown>): Generator<[string | undefined, unknown]> {
  const calls = r.toolCalls ?? [];
  if (api === "gemini") {
    for (const chunk of geminiStreamChunks(r)) yield [undefined, chunk];
    return;
  }
  if (api === "chat") {
    const base = { id: `chatcmpl-${r.id}`, object: "chat.completion.chunk", created: 1, model: r.model };
    yield [undefined, { ...base, choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }] }];
    if (r.text) for (const word of r.text.split(/(?= )/)) yield [undefined, { ...base, choices: [{ index: 0, delta: { content: word }, finish_reason: null }] }];
    for (const [i, c] of calls.entries()) {
      const args = JSON.stringify(c.args);
      const half = Math.floor(args.length / 2);
      // Name first, then the arguments in two fragments, as the API streams them.
      yield [undefined, { ...base, choices: [{ index: 0, delta: { tool_calls: [{ index: i, id: `call_${r.id}_${i}`, type: "function", function: { name: c.name, arguments: "" } }] }, finish_reason: null }] }];
      yield [undefined, { ...base, choices: [{ index: 0, delta: { tool_calls: [{ index: i, function: { arguments: args.slice(0, half) } }] }, finish_reason: null }] }];
      yield [undefined, { ...base, choices: [{ index: 0, delta: { tool_calls: [{ index: i, function: { arguments: args.slice(half) } }] }, finish_reason: null }] }];
    }
    yield [undefined, { ...base, choices: [{ index: 0, delta: {}, finish_reason: calls.length ? "tool_calls" : "stop" }] }];
    const wantsUsage = (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
    if (wantsUsage && r.usage) {
      yield [undefined, { ...base, choices: [], usage: { prompt_tokens: r.usage.input, completion_tokens: r.usage.output, total_tokens: r.usage.input + r.usage.output, prompt_tokens_details: { cached_tokens: r.usage.cached ?? 0 } } }];
    }
    yield [undefined, "[DONE]"];
    return;
  }
  if (api === "responses") {
    yield* responsesStreamEvents(fullResponse(api, r) as Record<string, unknown>);
    return;
  }
  const usage = r.usage ?? { input: 0, output: 0 };
  yield ["message_start", { type: "message_start", message: { id: `msg_${r.id}`, type: "message", role: "assistant", model: r.model, content: [], stop_reason: null, stop_sequence: null, usage: r.usage ? { input_tokens: usage.input, output_tokens: 1, cache_read_input_tokens: usage.cached ?? 0, cache_creation_input_tokens: 0 } : {} } }];
  let index = 0;
  if (r.text) {
    yield ["content_block_start", { type: "content_block_start", index, content_block: { type: "text", text: "" } }];
    yield ["content_block_delta", { type: "content_block_delta", index, delta: { type: "text_delta", text: r.text } }];
    yield ["content_block_stop", { type: "content_block_stop", index }];
    index++;
  }
  for (const [i, c] of calls.entries()) {
    const args = JSON.stringify(c.args);
    yield ["content_block_start", { type: "content_block_start", index, content_block: { type: "tool_use", id: `toolu_${r.id}_${i}`, name: c.name, input: {} } }];
    yield ["content_block_delta", { type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json: args.slice(0, 3) } }];
    yield ["content_block_delta", { type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json: args.slice(3) } }];
    yield ["content_block_stop", { type: "content_block_stop", index }];
    index++;
  }
  yield ["message_delta", { type: "message_delta", delta: { stop_reason: calls.length ? "tool_use" : "end_turn", stop_sequence: null }, usage: r.usage ? { output_tokens: usage.output } : {} }];
  yield ["message_stop", { type: "message_stop" }];
}

/** Responses API stream: each output item added, its deltas, done; then the completed response. */
function* responsesStreamEvents(full: Record<string, unknown>): Generator<[string | undefined, unknown]> {
  let seq = 0;
  const ev = (type: string, data: Record<string, unknown>): [string, unknown] => [type, { type, sequence_number: seq++, ...data }];
  yield ev("response.created", { response: { ...full, status: "in_progress", output: [], usage: null } });
  const output = full.output as Record<string, unknown>[];
  for (const [index, item] of output.entries()) {
    if (item.type === "function_call") {
      yield ev("response.output_item.added", { output_index: index, item: { ...item, arguments: "", status: "in_progress" } });
      yield ev("response.function_call_arguments.delta", { item_id: item.id, output_index: index, delta: item.arguments });
      yield ev("response.function_call_arguments.done", { item_id: item.id, output_index: index, arguments: item.arguments });
    } else {
      const text = ((item.content as { text: string }[] | undefined) ?? [])[0]?.text ?? "";
      yield ev("response.output_item.added", { output_index: index, item: { ...item, content: [], status: "in_progress" } });
      yield ev("response.content_part.added", { item_id: item.id, output_index: index, content_index: 0, part: { type: "output_text", text: "", annotations: [] } });
      yield ev("response.output_text.delta", { item_id: item.id, output_index: index, content_index: 0, delta: text, logprobs: [] });
      yield ev("response.output_text.done", { item_id: item.id, output_index: index, content_index: 0, text, logprobs: [] });
      yield ev("response.content_part.done", { item_id: item.id, output_index: index, content_index: 0, part: { type: "output_text", text, annotations: [] } });
    }
    yield ev("response.output_item.done", { output_index: index, item });
  }
  yield ev("response.completed", { response: full });
}
