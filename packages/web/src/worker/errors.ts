/**
 * Errors crossing the worker boundary. Structured clone keeps only an
 * Error's name and message, but the app branches on ParleyError codes
 * (describeError), E2eeError codes (attachment checks) and AbortError
 * (cancelled uploads), so each is sent as data and rebuilt on the other side.
 */
import { E2eeError, isE2eeError, isParleyError, ParleyError, type E2eeErrorCode, type ParleyErrorCode } from "@parley/sdk";

/** An error as plain data. */
export type SerializedError =
  | { kind: "parley"; code: ParleyErrorCode; status: number; message: string; details: unknown; retryAfter: number | undefined }
  | { kind: "e2ee"; code: E2eeErrorCode; message: string }
  | { kind: "other"; name: string; message: string };

/** Turn any thrown value into data (details that cannot be cloned are dropped). */
export function serializeError(err: unknown): SerializedError {
  if (isParleyError(err))
    return { kind: "parley", code: err.code, status: err.status, message: err.message, details: cloneable(err.details), retryAfter: err.retryAfter };
  if (isE2eeError(err)) return { kind: "e2ee", code: err.code, message: err.message };
  if (err instanceof Error || err instanceof DOMException) return { kind: "other", name: err.name, message: err.message };
  return { kind: "other", name: "Error", message: String(err) };
}

/** Rebuild the error on this side. */
export function deserializeError(e: SerializedError): Error {
  switch (e.kind) {
    case "parley":
      return new ParleyError({
        code: e.code,
        status: e.status,
        message: e.message,
        details: e.details,
        ...(e.retryAfter !== undefined ? { retryAfter: e.retryAfter } : {}),
      });
    case "e2ee":
      return new E2eeError(e.code, e.message);
    default: {
      if (e.name === "AbortError") return new DOMException(e.message, "AbortError");
      const err = new Error(e.message);
      err.name = e.name;
      return err;
    }
  }
}

function cloneable(v: unknown): unknown {
  try {
    return structuredClone(v);
  } catch {
    return undefined;
  }
}
