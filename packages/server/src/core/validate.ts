/** Command input checked against a protocol schema (the CLI's offline admin calls commands without the HTTP validation). */
import type { z } from "zod";
import { AppError } from "./errors.ts";

/** Parse `raw` with `schema`, or throw validation_failed naming each problem. */
export function validated<T extends z.ZodType>(schema: T, raw: unknown): z.output<T> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ path: i.path, message: i.message, code: i.code }));
    throw new AppError("validation_failed", parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "), { issues });
  }
  return parsed.data;
}
