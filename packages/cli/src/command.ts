/**
 * The command table's shape and argument parsing (node:util parseArgs, no
 * framework). Every command declares its words, usage, options and how many
 * positional arguments it takes; help is generated from the same table.
 */
import { parseArgs, type ParseArgsOptionsConfig } from "node:util";
import { UsageError } from "./errors.ts";
import type { Output } from "./output.ts";

export type Opts = Record<string, string | boolean | string[] | undefined>;

export interface Ctx {
  args: string[];
  opts: Opts;
  out: Output;
  env: NodeJS.ProcessEnv;
  stdin: NodeJS.ReadStream | NodeJS.ReadableStream;
  /** Aborted on SIGINT/SIGTERM (long-running commands stop cleanly). */
  signal: AbortSignal;
}

export interface Command {
  /** The words that name it: ["channel", "create"]. */
  name: string[];
  /** What follows the words in usage lines: "NAME [--private] [--topic T]". */
  usage: string;
  summary: string;
  /** Longer help: what each flag means, examples. */
  details?: string;
  options?: ParseArgsOptionsConfig;
  /** Positional arguments accepted (max defaults to min). */
  min?: number;
  max?: number;
  run(ctx: Ctx): Promise<number | void>;
}

/** Flags every command accepts. */
const GLOBAL_OPTIONS: ParseArgsOptionsConfig = {
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  profile: { type: "string" },
  "profile-dir": { type: "string" },
};

/** Parse a command's argv (after its words) strictly: unknown flags are usage errors. */
export function parseCommandArgs(cmd: Command, argv: string[]): { args: string[]; opts: Opts } {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { ...GLOBAL_OPTIONS, ...cmd.options }, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(`${(err as Error).message.split("\n")[0]} (usage: parley ${cmd.name.join(" ")} ${cmd.usage})`);
  }
  const opts = parsed.values as Opts;
  if (opts.help) return { args: parsed.positionals, opts };
  const min = cmd.min ?? 0;
  const max = cmd.max ?? min;
  const n = parsed.positionals.length;
  if (n < min || n > max) {
    const what = n < min ? "missing argument" : `unexpected argument '${parsed.positionals[max]}'`;
    throw new UsageError(`${what} (usage: parley ${cmd.name.join(" ")} ${cmd.usage})`);
  }
  return { args: parsed.positionals, opts };
}

/** A string option, or undefined. */
export function str(opts: Opts, key: string): string | undefined {
  const v = opts[key];
  return typeof v === "string" ? v : undefined;
}

/** A required string option. */
export function required(opts: Opts, key: string, cmd: string): string {
  const v = str(opts, key);
  if (v === undefined || v === "") throw new UsageError(`--${key} is required (usage: parley ${cmd})`);
  return v;
}

/** A positive integer option (or positional), with a usage error naming it. */
export function int(value: string | undefined, name: string, min = 1): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${name} must be a whole number >= ${min}, got '${value}'`);
  return n;
}
