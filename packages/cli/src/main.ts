/**
 * `parley` entry point: find the command named by the leading words, parse its
 * flags, run it, map every failure to one line and an exit code.
 */
import { parseCommandArgs, type Command } from "./command.ts";
import { EXIT, UsageError } from "./errors.ts";
import { createOutput } from "./output.ts";
import { commandHelp, groupHelp, mainHelp } from "./help.ts";
import { COMMANDS } from "./commands/index.ts";
import { toCliError } from "./failure.ts";

/** Global flags that may appear before the command words. */
const GLOBAL_VALUE_FLAGS = new Set(["--profile", "--profile-dir"]);
const GLOBAL_BOOL_FLAGS = new Set(["--json", "--help", "-h"]);

/** Run `parley` with these arguments; resolves to the process exit code. */
export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const json = argv.includes("--json");
  const out = createOutput(json);
  try {
    const { cmd, rest, words } = findCommand(argv);
    if (!cmd) {
      if (words.length === 0) {
        if (argv.includes("--version")) {
          out.result({ version: await version() }, await version());
          return EXIT.ok;
        }
        const wantsHelp = argv.includes("--help") || argv.includes("-h");
        (wantsHelp ? process.stdout : process.stderr).write(mainHelp(COMMANDS));
        return wantsHelp ? EXIT.ok : EXIT.usage;
      }
      if (words[0] === "help") {
        process.stdout.write(helpFor(words.slice(1)));
        return EXIT.ok;
      }
      const group = COMMANDS.filter((c) => c.name[0] === words[0]);
      if (group.length && (argv.includes("--help") || argv.includes("-h"))) {
        process.stdout.write(groupHelp(group));
        return EXIT.ok;
      }
      if (group.length)
        throw new UsageError(
          `'${words.join(" ")}' needs a subcommand: ${group.map((c) => c.name.slice(1).join(" ")).join(", ")}`,
          `run \`parley ${words[0]} --help\``,
        );
      throw new UsageError(`unknown command '${words[0]}'`);
    }
    const { args, opts } = parseCommandArgs(cmd, rest);
    if (opts.help) {
      process.stdout.write(commandHelp(cmd));
      return EXIT.ok;
    }
    const controller = new AbortController();
    const stop = () => controller.abort();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    try {
      const code = await cmd.run({ args, opts, out, env, stdin: process.stdin, signal: controller.signal });
      return code ?? EXIT.ok;
    } finally {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
    }
  } catch (err) {
    const e = toCliError(err);
    out.error(e);
    // The full stack only on request: users get one actionable line.
    if (env.PARLEY_DEBUG) console.error(err);
    return e.exitCode;
  }
}

function helpFor(words: string[]): string {
  if (!words.length) return mainHelp(COMMANDS);
  const exact = COMMANDS.find((c) => c.name.join(" ") === words.join(" "));
  if (exact) return commandHelp(exact);
  const group = COMMANDS.filter((c) => c.name[0] === words[0]);
  if (group.length) return groupHelp(group);
  throw new UsageError(`unknown command '${words.join(" ")}'`);
}

/**
 * The command named by the longest run of leading words (global flags may
 * come first), and the argv that follows those words.
 */
function findCommand(argv: string[]): { cmd: Command | undefined; rest: string[]; words: string[] } {
  const lead: string[] = [];
  let i = 0;
  while (i < argv.length) {
    const a = argv[i]!;
    if (GLOBAL_VALUE_FLAGS.has(a)) {
      lead.push(a, argv[i + 1] ?? "");
      i += 2;
      continue;
    }
    if (GLOBAL_BOOL_FLAGS.has(a) || a.startsWith("--profile=") || a.startsWith("--profile-dir=") || a === "--version") {
      lead.push(a);
      i++;
      continue;
    }
    break;
  }
  const words: string[] = [];
  for (let j = i; j < argv.length && !argv[j]!.startsWith("-") && words.length < 3; j++) words.push(argv[j]!);
  for (let n = words.length; n > 0; n--) {
    const cmd = COMMANDS.find((c) => c.name.length === n && c.name.every((w, k) => w === words[k]));
    if (cmd) return { cmd, rest: [...lead.filter((a) => a !== "--version"), ...argv.slice(i + n)], words };
  }
  return { cmd: undefined, rest: [], words };
}

async function version(): Promise<string> {
  const { default: pkg } = await import("../package.json", { with: { type: "json" } });
  return (pkg as { version: string }).version;
}
