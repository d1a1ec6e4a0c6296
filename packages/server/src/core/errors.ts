import { ERROR_STATUS, type ErrorCode } from "@parley/protocol";

/**
 * A failure with a stable protocol error code. Commands throw it; the HTTP
 * layer and the gateway turn it into `{ code, message, details }` with the
 * code's fixed status.
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;
  /** Seconds, for 429s (becomes Retry-After). */
  readonly retryAfter: number | undefined;
  constructor(code: ErrorCode, message: string, details?: unknown, retryAfter?: number) {
    super(message);
    this.code = code;
    this.details = details;
    this.retryAfter = retryAfter;
  }
  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

/** Shorthands for the most common failures. */
export const notFound = (what: string) => new AppError("not_found", `${what} not found`);
export const badRequest = (message: string, details?: unknown) => new AppError("bad_request", message, details);
