import { firstIssue } from "@agent-canary/conventions";
import type { FastifyRequest } from "fastify";
import type { z } from "zod";

/** A refusal with a status, a reason for the rejected-requests counter, and a message that helps the sender. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly reason: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

export function zodFailure(error: z.ZodError, what: string): HttpError {
  const { field, message } = firstIssue(error);
  return new HttpError(400, "invalid_payload", `invalid ${what} payload${field ? ` at "${field}"` : ""}: ${message}`, field);
}

/** fastify's own 4xx messages ("Unsupported Media Type") do not say what to send instead. */
export function clientMessage(error: Error & { statusCode?: number }, request: FastifyRequest, bodyLimitBytes: number): string {
  if (error instanceof HttpError) return error.message;
  if (error.statusCode === 415) return `content-type ${request.headers["content-type"] ?? "(none)"} is not accepted: send the body as JSON with content-type: application/json`;
  if (error.statusCode === 413) return `body is larger than the limit of ${bodyLimitBytes} bytes (--body-limit)`;
  return error.message;
}

/** fastify's own errors, named for the rejected-requests counter. */
export function reasonOf(error: { statusCode?: number; code?: string }): string {
  if (error instanceof HttpError) return error.reason;
  switch (error.statusCode) {
    case 413:
      return "body_too_large";
    case 415:
      return "unsupported_media_type";
    case 408:
      return "request_timeout";
    default:
      return "bad_request";
  }
}
