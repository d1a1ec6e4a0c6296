/**
 * Where a command's results go. With --json, stdout carries exactly one JSON
 * document per command (or one JSON line per streamed item for --follow) and
 * everything meant for humans goes to stderr, so scripts can parse stdout.
 */
import type { CliError } from "./errors.ts";

export interface Output {
  readonly json: boolean;
  /** The command's result: `data` as JSON with --json, else the human lines. */
  result(data: unknown, human: string | string[] | (() => string | string[])): void;
  /** One streamed item (read --follow): a JSON line, or a human line. */
  item(data: unknown, human: string): void;
  /** A human notice on stderr (never on stdout, so --json stays parseable). */
  note(text: string): void;
  /** Report a failure: one line on stderr; with --json also `{ "error": ... }` on stdout. */
  error(err: CliError): void;
}

export interface Streams {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
}

export function createOutput(json: boolean, streams: Streams = process): Output {
  const line = (s: string | string[]) => (Array.isArray(s) ? s.join("\n") : s);
  return {
    json,
    result(data, human) {
      if (json) {
        streams.stdout.write(`${JSON.stringify(data ?? null)}\n`);
        return;
      }
      const text = line(typeof human === "function" ? human() : human);
      if (text) streams.stdout.write(`${text}\n`);
    },
    item(data, human) {
      streams.stdout.write(`${json ? JSON.stringify(data) : human}\n`);
    },
    note(text) {
      streams.stderr.write(`${text}\n`);
    },
    error(err) {
      const hint = err.hint ? ` — ${err.hint}` : "";
      streams.stderr.write(`parley: ${err.message}${hint}\n`);
      if (json)
        streams.stdout.write(`${JSON.stringify({ error: { code: err.code, message: err.message, hint: err.hint ?? null, exitCode: err.exitCode } })}\n`);
    },
  };
}
