/**
 * Passwords never come from argv (it shows in `ps` and shell history):
 * PARLEY_PASSWORD, else stdin — typed with echo off on a terminal, or the
 * next line of piped input. A command that needs two secrets (the current and
 * a new password) reads one piped line for each, in order.
 */
import { CliError } from "./errors.ts";

type Stdin = NodeJS.ReadStream | NodeJS.ReadableStream;

export function readPassword(env: NodeJS.ProcessEnv, stdin: Stdin, prompt = "Password: "): Promise<string> {
  return readSecret(env, stdin, { envVar: "PARLEY_PASSWORD", prompt, what: "password", code: "no_password" });
}

/** A secret (a password, a recovery key) from the environment variable `envVar`, else stdin as for passwords. */
export async function readSecret(env: NodeJS.ProcessEnv, stdin: Stdin, o: { envVar: string; prompt: string; what: string; code: string }): Promise<string> {
  const fromEnv = env[o.envVar];
  if (fromEnv) return fromEnv;
  const tty = stdin as NodeJS.ReadStream;
  const value = tty.isTTY ? await promptHidden(tty, o.prompt) : await nextLine(stdin);
  if (!value) throw new CliError(o.code, `no ${o.what} given`, `set ${o.envVar} or pipe the ${o.what} on stdin`);
  return value;
}

/**
 * A new password: PARLEY_NEW_PASSWORD, else typed twice with echo off on a terminal (a typo
 * there would lock the user out), else the next line of piped input.
 */
export async function readNewPassword(env: NodeJS.ProcessEnv, stdin: Stdin): Promise<string> {
  const o = { envVar: "PARLEY_NEW_PASSWORD", prompt: "New password: ", what: "new password", code: "no_password" };
  const first = await readSecret(env, stdin, o);
  const tty = stdin as NodeJS.ReadStream;
  if (env[o.envVar] || !tty.isTTY) return first;
  if ((await promptHidden(tty, "New password again: ")) !== first)
    throw new CliError("password_mismatch", "the two new passwords differ; nothing was changed", "run the command again and type the same new password twice");
  return first;
}

/** One line typed (visibly) at `prompt` on a terminal, or the next line of piped input. */
export async function readLine(stdin: Stdin, prompt: string): Promise<string> {
  if ((stdin as NodeJS.ReadStream).isTTY) process.stderr.write(prompt);
  return (await nextLine(stdin)).trim();
}

/** What was read from a stream beyond the lines handed out so far. */
const unread = new WeakMap<Stdin, { text: string; ended: boolean }>();

/**
 * The next line of `stdin` ("" at the end of input). The stream flows only while a line is
 * awaited, so a terminal prompt with echo off can follow; the rest of a chunk waits for the
 * next call.
 */
function nextLine(stdin: Stdin): Promise<string> {
  let state = unread.get(stdin);
  if (!state) unread.set(stdin, (state = { text: "", ended: (stdin as NodeJS.ReadStream).readableEnded === true }));
  const s = state;
  // The end may have come while no line was awaited (no listener saw it).
  if ((stdin as NodeJS.ReadStream).readableEnded === true) s.ended = true;
  const take = (): string | undefined => {
    const i = s.text.indexOf("\n");
    if (i < 0 && !s.ended) return undefined;
    const line = i < 0 ? s.text : s.text.slice(0, i);
    s.text = i < 0 ? "" : s.text.slice(i + 1);
    return line.replace(/\r$/, "");
  };
  const ready = take();
  if (ready !== undefined) return Promise.resolve(ready);
  return new Promise((resolve, reject) => {
    const stop = () => {
      stdin.off("data", onData);
      stdin.off("end", onEnd);
      stdin.off("error", onError);
      stdin.pause();
    };
    const settle = () => {
      const line = take();
      if (line === undefined) return;
      stop();
      resolve(line);
    };
    const onData = (chunk: unknown) => {
      s.text += String(chunk);
      settle();
    };
    const onEnd = () => {
      s.ended = true;
      settle();
    };
    const onError = (err: Error) => {
      stop();
      reject(err);
    };
    stdin.on("data", onData);
    stdin.on("end", onEnd);
    stdin.on("error", onError);
    // Whole characters even when a multi-byte one straddles two chunks.
    stdin.setEncoding("utf8");
    stdin.resume();
  });
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
