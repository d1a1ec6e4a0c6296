/**
 * CLI errors and exit codes. Every failure prints one line saying what went
 * wrong and what to do next.
 */

/** Exit codes, documented in `parley --help`. */
export const EXIT = {
  ok: 0,
  error: 1,
  usage: 2,
  /** A backup or restore refused before anything changed: damaged, truncated, wrong passphrase, newer schema. */
  refused: 3,
  /** Verification after a restore (or of a backup) found a mismatch. */
  mismatch: 4,
} as const;

/** A failure the user can act on: `message` says what happened, `hint` what to do next. */
export class CliError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  readonly exitCode: number;
  constructor(code: string, message: string, hint?: string, exitCode: number = EXIT.error) {
    super(message);
    this.code = code;
    this.hint = hint;
    this.exitCode = exitCode;
  }
}

/** Bad command line: unknown command or flag, missing argument (exit 2). */
export class UsageError extends CliError {
  constructor(message: string, hint = "run `parley --help` for usage") {
    super("usage", message, hint, EXIT.usage);
  }
}
