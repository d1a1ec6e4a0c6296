/**
 * Typed errors of the SDK. Every failure a caller sees — an error response
 * from the server, a WebSocket `error` frame, a network failure — is a
 * {@link ParleyError} carrying a stable code, so apps branch on codes, never
 * on message text.
 */
import { ERROR_CODES, isRetryableCode, type ErrorCode } from "@parley/protocol";

/**
 * Failures that happen on the client side, before or instead of a server
 * answer. They carry status 0.
 */
export type ClientErrorCode =
  /** The server could not be reached or the connection dropped mid-request. */
  | "network"
  /** The server did not answer in time. */
  | "timeout"
  /** The client was closed while the operation was pending. */
  | "closed"
  /** The caller stopped waiting (its AbortSignal fired). */
  | "aborted"
  /** The server answered with something that is not a Parley error body. */
  | "bad_response"
  /**
   * The device refuses to send in the channel: the server's account of the org's compliance
   * archive does not hold up against the signed policy (`details.problem` says how; ADR 0008).
   */
  | "archive_mismatch"
  /**
   * The server shows a directory key (what signs device bindings) that the key this device
   * pinned did not endorse: bindings it signed are refused, so new devices are not admitted.
   */
  | "directory_key_changed"
  /**
   * The personal store (saved messages, drafts) needs the user's key-locker private key on this
   * device: set the locker up, restore it with the recovery key, or approve this device first.
   */
  | "locker_unavailable";

/** A server error code or a client-side one. */
export type ParleyErrorCode = ErrorCode | ClientErrorCode;

const CLIENT_RETRYABLE: ReadonlySet<string> = new Set(["network", "timeout"]);
const AUTH_CODES: ReadonlySet<string> = new Set([
  "unauthorized",
  "token_expired",
  "invalid_credentials",
  "refresh_token_reused",
  "refresh_token_invalid",
  "user_deactivated",
]);
const KNOWN_CODES: ReadonlySet<string> = new Set(ERROR_CODES);

/** Fields of a {@link ParleyError}. */
export interface ParleyErrorInit {
  code: ParleyErrorCode;
  message: string;
  /** HTTP status; 0 for client-side failures. */
  status?: number;
  details?: unknown;
  /** Seconds to wait before retrying (from Retry-After). */
  retryAfter?: number;
  cause?: unknown;
}

/** An error with a stable Parley code, an HTTP status and optional details. */
export class ParleyError extends Error {
  /** Stable, machine-readable code (see `ERROR_STATUS` in @parley/protocol). */
  readonly code: ParleyErrorCode;
  /** HTTP status, or 0 when the failure happened on the client side. */
  readonly status: number;
  /** Code-specific details (e.g. validation issues). */
  readonly details: unknown;
  /** Seconds to wait before retrying, when the server said so. */
  readonly retryAfter: number | undefined;

  constructor(init: ParleyErrorInit) {
    super(init.message, init.cause !== undefined ? { cause: init.cause } : undefined);
    this.name = "ParleyError";
    this.code = init.code;
    this.status = init.status ?? 0;
    this.details = init.details;
    this.retryAfter = init.retryAfter;
  }

  /** Whether the same request may be sent again unchanged (after {@link retryAfter} if set). */
  isRetryable(): boolean {
    return isRetryableCode(this.code) || CLIENT_RETRYABLE.has(this.code);
  }

  /** Whether the failure is about credentials or the session (sign in again, or refresh). */
  isAuthError(): boolean {
    return AUTH_CODES.has(this.code);
  }

  /** Whether the object does not exist or is not visible. */
  isNotFound(): boolean {
    return this.code === "not_found";
  }

  /** Whether the principal is not allowed to do this. */
  isForbidden(): boolean {
    return this.code === "forbidden";
  }

  /** Whether the request was rejected as malformed. */
  isValidationError(): boolean {
    return this.code === "validation_failed" || this.code === "bad_request";
  }

  /** Whether this is a rate limit (wait {@link retryAfter} seconds). */
  isRateLimited(): boolean {
    return this.code === "rate_limited" || this.code === "login_throttled" || this.code === "too_many_connections";
  }
}

/** Whether `err` is a {@link ParleyError}, optionally with the given code. */
export function isParleyError(err: unknown, code?: ParleyErrorCode): err is ParleyError {
  return err instanceof ParleyError && (code === undefined || err.code === code);
}

/** Parse a Retry-After header (seconds or HTTP date) into seconds. */
export function parseRetryAfter(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const secs = Number(header);
  if (Number.isFinite(secs)) return Math.max(0, secs);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

/**
 * Map an error body (HTTP response or WebSocket `error` frame) to a
 * {@link ParleyError}. Bodies that are not Parley errors become `bad_response`
 * (or `internal` for 5xx) so callers still get a code.
 */
export function errorFromBody(status: number, body: unknown, retryAfter?: number): ParleyError {
  const b = body as { code?: unknown; message?: unknown; details?: unknown } | null;
  if (b && typeof b.code === "string" && KNOWN_CODES.has(b.code)) {
    return new ParleyError({
      code: b.code as ErrorCode,
      status,
      message: typeof b.message === "string" ? b.message : b.code,
      details: b.details,
      ...(retryAfter !== undefined ? { retryAfter } : {}),
    });
  }
  const code: ParleyErrorCode = status >= 500 ? (status === 503 ? "unavailable" : "internal") : status === 429 ? "rate_limited" : "bad_response";
  return new ParleyError({ code, status, message: `unexpected response (HTTP ${status})`, details: body, ...(retryAfter !== undefined ? { retryAfter } : {}) });
}

/** Wrap a thrown fetch/WebSocket failure as a retryable `network` error. */
export function networkError(cause: unknown, message = "network error"): ParleyError {
  if (cause instanceof ParleyError) return cause;
  const detail = cause instanceof Error ? `: ${cause.message}` : "";
  return new ParleyError({ code: "network", message: message + detail, cause });
}
