import { currentSession } from "../session/context.js";
import type { AgentSession } from "../session/session.js";
import { LlmCall, type CallEnv } from "./call.js";
import { isObj, type Obj } from "./fields.js";
import { observeStream } from "./stream.js";
import type { LlmRequest, LlmResult } from "./types.js";

/** How to read one SDK method's requests, responses and stream items. */
export interface ApiShape {
  /**
   * For a method that makes several kinds of calls (Bedrock's send(command)):
   * the shape and request body of this one, or undefined when it is no LLM
   * call (passed through). Default: this shape, the first argument.
   */
  select?(args: unknown[]): { shape: ApiShape; body: Obj } | undefined;
  request(body: Obj): LlmRequest;
  result(data: unknown): LlmResult;
  accumulator(): { add(item: unknown): void; result(): LlmResult; isLast?(item: unknown): boolean };
  /** The stream inside a streamed result, when the result is not itself the stream (Bedrock's `{ stream }`). */
  streamOf?(data: unknown): unknown;
}

function selectShape(shape: ApiShape, args: unknown[]): { shape: ApiShape; body: Obj } | undefined {
  if (shape.select) return shape.select(args);
  const body = args[0];
  return isObj(body) ? { shape, body } : undefined;
}

type CreateFn = (this: unknown, ...args: unknown[]) => unknown;

/**
 * Wraps an SDK `create` method. The return value keeps the SDK's own type: an
 * APIPromise stays an APIPromise (withResponse(), asResponse() work), a
 * stream stays the SDK's Stream object.
 */
export function wrapCreate(original: CreateFn, shape: ApiShape, envFor: (session: AgentSession | undefined) => CallEnv): CreateFn {
  return function agentCanaryCreate(this: unknown, ...args: unknown[]): unknown {
    const session = currentSession();
    const env = envFor(session);
    const selected = env.safely("llm-request", () => selectShape(shape, args), undefined);
    const request = selected && env.safely("llm-request", () => selected.shape.request(selected.body), undefined);
    // Guard errors (session ended, max turns) are thrown here, before any request is sent.
    const call = request ? LlmCall.begin(env, session, request) : undefined;
    if (!call || !request || !selected) return original.apply(this, args);
    let returned: unknown;
    try {
      returned = call.run(() => original.apply(this, args));
    } catch (error) {
      call.fail(error, false);
      throw error;
    }
    return env.safely("llm-attach", () => attach(returned, call, selected.shape, request.stream, env), returned);
  };
}

interface ApiPromiseLike {
  then?: unknown;
  _thenUnwrap?: unknown;
  parseResponse?: unknown;
  parsedPromise?: unknown;
  responsePromise?: unknown;
}

type Parse = (this: unknown, ...args: unknown[]) => unknown;

function attach(returned: unknown, call: LlmCall, shape: ApiShape, stream: boolean, env: CallEnv): unknown {
  let seen = false;
  const onData = (data: unknown): unknown => {
    // Both the APIPromise's own parse and a helper's derived promise may bring the data: record it once.
    if (seen) return data;
    seen = true;
    const streamed = stream ? (shape.streamOf?.(data) ?? data) : undefined;
    if (streamed !== undefined && isAsyncIterable(streamed)) {
      const acc = shape.accumulator();
      observeStream(
        streamed,
        {
          onItem: (item) => acc.add(item),
          isLast: (item) => acc.isLast?.(item) ?? false,
          onEnd: () => call.succeed(acc.result()),
          onError: (error) => call.fail(error, true),
        },
        env.safely,
      );
      return data;
    }
    const result = env.safely("llm-result", () => shape.result(data), undefined);
    call.succeed(result ?? { finishReasons: [], toolCalls: [] });
    return data;
  };
  const p = returned as ApiPromiseLike;
  if (typeof p.parseResponse === "function" && typeof p.then === "function") {
    // An SDK APIPromise, returned as it is (withResponse(), asResponse() keep working). The call is
    // recorded inside its one parse of the body, so every layer awaiting it (another instrumentation
    // wrapping the same method) sees one parse, and a guard trip rejects what the agent awaits.
    // Nobody awaits the responsePromise branch: call.fail() must not throw there (it cannot trip a guard).
    if (p.responsePromise instanceof Promise) p.responsePromise.then(undefined, (error: unknown) => call.fail(error, false));
    if (p.parsedPromise instanceof Promise) {
      // A layer inside ours already started the parse: follow it.
      p.parsedPromise = p.parsedPromise.then(onData);
    } else {
      const parse = p.parseResponse as Parse;
      p.parseResponse = function (this: unknown, ...args: unknown[]) {
        return Promise.resolve(parse.apply(this, args)).then(onData);
      };
    }
    // The SDK helpers (responses.stream, runTools, parse) derive promises with _thenUnwrap, which in
    // some versions parses through a captured function rather than parseResponse: see the data there too.
    if (typeof p._thenUnwrap === "function") {
      const thenUnwrap = p._thenUnwrap as (this: unknown, transform: (data: unknown, props: unknown) => unknown) => unknown;
      p._thenUnwrap = function (this: unknown, transform: (data: unknown, props: unknown) => unknown) {
        return thenUnwrap.call(this, (data, props) => transform(onData(data), props));
      };
    }
    endOnRawResponse(returned, call);
    return returned;
  }
  if (returned instanceof Promise) {
    return returned.then(onData, (error: unknown) => {
      call.fail(error, false);
      throw error;
    });
  }
  return onData(returned);
}

/**
 * `.asResponse()` hands the raw HTTP response over unparsed, so no usage will be
 * seen: the call is recorded then, with usage unknown. withResponse() parses
 * first (parsedPromise is set), and is recorded from the parsed body as usual.
 */
function endOnRawResponse(derived: unknown, call: LlmCall): void {
  const target = derived as { asResponse?: unknown; parsedPromise?: unknown };
  const asResponse = target.asResponse;
  if (typeof asResponse !== "function") return;
  Object.defineProperty(derived, "asResponse", {
    configurable: true,
    writable: true,
    value: function (this: typeof target, ...args: unknown[]) {
      const parsing = this.parsedPromise !== undefined;
      const response = (asResponse as (...a: unknown[]) => Promise<unknown>).apply(this, args);
      if (parsing) return response;
      return response.then((raw) => {
        call.succeed({ finishReasons: [], toolCalls: [] });
        return raw;
      });
    },
  });
}

function isAsyncIterable(value: unknown): value is object {
  return typeof value === "object" && value !== null && typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === "function";
}
