/**
 * JSON-lines logging (pino). Modules take a child logger
 * (`log.child({ module: "gateway" })`). Secrets and content are redacted by path.
 * With tracing on (platform/tracing.ts), a line written inside a span carries its
 * `trace_id` and `span_id`.
 */
import pino from "pino";
import { traceFields } from "./tracing.ts";

export type Logger = pino.Logger;

const REDACT_PATHS = [
  "password",
  "*.password",
  "token",
  "*.token",
  "accessToken",
  "*.accessToken",
  "refreshToken",
  "*.refreshToken",
  "setupToken",
  "*.setupToken",
  "content",
  "*.content",
  "req.headers.authorization",
  "req.headers.cookie",
  "databaseUrl",
  "*.databaseUrl",
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino({ level, base: { service: "parley" }, mixin: traceFields, redact: { paths: REDACT_PATHS, censor: "[redacted]" } }, destination);
}
