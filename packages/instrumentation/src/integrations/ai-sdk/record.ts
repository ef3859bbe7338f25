import { LlmCall } from "../../llm/call.js";
import { isObj } from "../../llm/fields.js";
import { observeReadable } from "../../llm/readable.js";
import { EMPTY_RESULT, type LlmRequest } from "../../llm/types.js";
import { recordingContext } from "../call-env.js";
import { AiSdkStreamAccumulator, aiSdkResult } from "./result.js";

function isStreamResult(value: unknown): value is { stream: ReadableStream<unknown> } {
  return isObj(value) && value.stream instanceof ReadableStream;
}

/**
 * Records one AI SDK model call around `execute` (the provider's doGenerate or
 * doStream). Guard errors are thrown to the AI SDK, which ends its step loop
 * with them: before the call (session ended, max turns), after a generate
 * result (loop, budget), or in place of a stream's finish part.
 */
export async function recordModelCall<T>(request: LlmRequest, execute: () => PromiseLike<T>): Promise<T> {
  const recording = recordingContext();
  if (!recording) return await execute();
  const { session, env } = recording;
  const call = LlmCall.begin(env, session, request);
  if (!call) return await execute();
  let result: T;
  try {
    result = await call.run(execute);
  } catch (error) {
    call.fail(error, false);
    throw error;
  }
  if (isStreamResult(result)) {
    call.markStreamed();
    const acc = new AiSdkStreamAccumulator();
    const stream = observeReadable(
      result.stream,
      {
        onPart: (part) => acc.add(part),
        isLast: () => acc.finished,
        onEnd: () => call.succeed(acc.result()),
        onError: (error) => call.fail(error, true),
      },
      env.safely,
    );
    return { ...result, stream };
  }
  call.succeed(env.safely("ai-sdk-result", () => aiSdkResult(result), undefined) ?? EMPTY_RESULT);
  return result;
}
