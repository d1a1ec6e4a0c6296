/**
 * Passwords never come from argv (it shows in `ps` and shell history):
 * PARLEY_PASSWORD, else stdin — typed with echo off on a terminal, or the
 * first line of piped input.
 */
import { CliError } from "./errors.ts";

export function readPassword(env: NodeJS.ProcessEnv, stdin: NodeJS.ReadStream | NodeJS.ReadableStream, prompt = "Password: "): Promise<string> {
  return readSecret(env, stdin, { envVar: "PARLEY_PASSWORD", prompt, what: "password", code: "no_password" });
}

/** A secret (a password, a recovery key) from the environment variable `envVar`, else stdin as for passwords. */
export async function readSecret(
  env: NodeJS.ProcessEnv,
  stdin: NodeJS.ReadStream | NodeJS.ReadableStream,
  o: { envVar: string; prompt: string; what: string; code: string },
): Promise<string> {
  const fromEnv = env[o.envVar];
  if (fromEnv) return fromEnv;
  const tty = stdin as NodeJS.ReadStream;
  const value = tty.isTTY ? await promptHidden(tty, o.prompt) : await firstLine(stdin);
  if (!value) throw new CliError(o.code, `no ${o.what} given`, `set ${o.envVar} or pipe the ${o.what} on stdin`);
  return value;
}

/** One line typed (visibly) at `prompt` on a terminal, or the first line of piped input. */
export async function readLine(stdin: NodeJS.ReadStream | NodeJS.ReadableStream, prompt: string): Promise<string> {
  if ((stdin as NodeJS.ReadStream).isTTY) process.stderr.write(prompt);
  return (await firstLine(stdin)).trim();
}

async function firstLine(stdin: NodeJS.ReadableStream): Promise<string> {
  let data = "";
  for await (const chunk of stdin) {
    data += String(chunk);
    if (data.includes("\n")) break;
  }
  return data.split(/\r?\n/)[0] ?? "";
}

function promptHidden(tty: NodeJS.ReadStream, prompt: string): Promise<string> {
  process.stderr.write(prompt);
  tty.setRawMode(true);
  tty.resume();
  tty.setEncoding("utf8");
  return new Promise((resolve, reject) => {
    let pw = "";
    const done = (err?: Error) => {
      tty.setRawMode(false);
      tty.pause();
      tty.off("data", onData);
      process.stderr.write("\n");
      if (err) reject(err);
      else resolve(pw);
    };
    const onData = (s: string) => {
      for (const ch of s) {
        if (ch === "\r" || ch === "\n" || ch === "\u0004") return done();
        if (ch === "\u0003") return done(new CliError("cancelled", "cancelled"));
        if (ch === "\u007f" || ch === "\b") pw = pw.slice(0, -1);
        else pw += ch;
      }
    };
    tty.on("data", onData);
  });
}
