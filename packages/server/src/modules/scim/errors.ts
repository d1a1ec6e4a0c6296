/**
 * SCIM errors (RFC 7644 §3.12): an HTTP status, an optional `scimType` keyword and a
 * human-readable detail. The SCIM service answers them as the RFC's error JSON; the
 * rest of the server's AppErrors reaching it are translated by {@link toScimError}.
 */
import { AppError } from "../../core/errors.ts";

/** The RFC 7644 §3.12 detail error keywords Parley uses. */
export type ScimType =
  "invalidFilter" | "tooMany" | "uniqueness" | "mutability" | "invalidSyntax" | "invalidPath" | "noTarget" | "invalidValue" | "invalidVers" | "sensitive";

const SCIM_ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error";

export class ScimError extends Error {
  override name = "ScimError";
  readonly status: number;
  readonly scimType: ScimType | undefined;
  /** Seconds, for 429s (becomes Retry-After). */
  readonly retryAfter: number | undefined;
  constructor(status: number, scimType: ScimType | undefined, detail: string, retryAfter?: number) {
    super(detail);
    this.status = status;
    this.scimType = scimType;
    this.retryAfter = retryAfter;
  }
  /** The RFC 7644 §3.12 error body (status as a string, as the RFC's examples have it). */
  body(): Record<string, unknown> {
    return { schemas: [SCIM_ERROR_SCHEMA], ...(this.scimType ? { scimType: this.scimType } : {}), detail: this.message, status: String(this.status) };
  }
}

export const invalidFilter = (detail: string) => new ScimError(400, "invalidFilter", detail);
export const invalidPath = (detail: string) => new ScimError(400, "invalidPath", detail);
export const invalidValue = (detail: string) => new ScimError(400, "invalidValue", detail);
export const invalidSyntax = (detail: string) => new ScimError(400, "invalidSyntax", detail);
export const mutability = (detail: string) => new ScimError(400, "mutability", detail);
export const noTarget = (detail: string) => new ScimError(400, "noTarget", detail);
export const tooMany = (detail: string) => new ScimError(400, "tooMany", detail);
export const uniqueness = (detail: string) => new ScimError(409, "uniqueness", detail);
export const scimNotFound = (what: string, id: string) => new ScimError(404, undefined, `${what} ${id} not found`);
export const preconditionFailed = () => new ScimError(412, undefined, "the resource has changed (its ETag no longer matches If-Match); read it again");
export const unauthorized = (detail: string) => new ScimError(401, undefined, detail);

/** Any error thrown while serving SCIM as a ScimError: AppErrors of the commands SCIM reuses keep their meaning. */
export function toScimError(err: unknown): ScimError | undefined {
  if (err instanceof ScimError) return err;
  if (!(err instanceof AppError)) return undefined;
  switch (err.code) {
    case "already_exists":
    case "email_taken":
      return new ScimError(409, "uniqueness", err.message);
    case "validation_failed":
    case "bad_request":
    case "password_rejected":
    case "channel_archived":
      return new ScimError(400, "invalidValue", err.message);
    case "not_found":
      return new ScimError(404, undefined, err.message);
    default:
      return new ScimError(err.status, undefined, err.message, err.retryAfter);
  }
}
