/**
 * Codes from an authenticator app (and recovery codes) for signing in and for managing
 * MFA: PARLEY_MFA_CODE, else typed on a terminal (visibly: a code works once, for about 30
 * seconds), else the next line of piped input — after the password's line when a command
 * reads both. At a terminal a wrong code is asked for again; a script's code is final.
 */
import type { MfaChallenge } from "@parley/protocol";
import { isParleyError, type ParleyError, type SecondFactor } from "@parley/sdk/node";
import type { Ctx } from "./command.ts";
import { CliError } from "./errors.ts";
import { readLine } from "./password.ts";

const ENV = "PARLEY_MFA_CODE";
/** Tries at a terminal for the commands that manage MFA (sign-in is bounded by the server's challenge instead). */
const TRIES = 3;

/** Whether a person types the codes (and so can be asked again). */
function typed(ctx: Ctx): boolean {
  return !ctx.env[ENV] && (ctx.stdin as NodeJS.ReadStream).isTTY === true;
}

/** A refused code, final: what to try next depends on which factors there are. */
function wrongCode(factors: "app" | "app_or_recovery" | "recovery"): CliError {
  const app = "codes change every 30 seconds and each works once: use the next one from your authenticator app (and check the clock of the device it runs on)";
  const hint = factors === "recovery" ? "each recovery code works once: use another of yours" : factors === "app" ? app : `${app}, or a recovery code`;
  return new CliError("mfa_invalid", "that code is wrong or was already used", hint);
}

/** One answer: PARLEY_MFA_CODE, the prompt on a terminal, or the next piped line. */
async function readAnswer(ctx: Ctx, prompt: string): Promise<string> {
  const value = ctx.env[ENV]?.trim() || (await readLine(ctx.stdin, prompt));
  if (!value)
    throw new CliError(
      "no_mfa_code",
      "no authenticator code given",
      `type it when asked, or set ${ENV}, or pipe it on stdin (after the password, if one is read)`,
    );
  return value;
}

/** A six-digit answer is a code from the app; anything else a recovery code. */
function asSecondFactor(answer: string): SecondFactor {
  const digits = answer.replace(/\s/g, "");
  return /^\d{6}$/.test(digits) ? { code: digits } : { recoveryCode: answer.trim() };
}

/**
 * The `secondFactor` callback of `ParleyClient.login`: asks for a code or a recovery code,
 * and after a wrong one says so and asks again (until the server's challenge runs out). A
 * code from PARLEY_MFA_CODE cannot change, so a wrong one ends the sign-in.
 */
export function signInSecondFactor(ctx: Ctx): (challenge: MfaChallenge, previous?: ParleyError) => Promise<SecondFactor> {
  return async (challenge, previous) => {
    const app = challenge.methods.includes("totp");
    // A passkey needs a browser; its recovery codes still work here.
    if (!app && !challenge.methods.includes("recovery_code"))
      throw new CliError(
        "mfa_unsupported",
        "this account's second factor is a passkey, which the CLI cannot use",
        "sign in with a browser, or with a recovery code",
      );
    const prompt = app ? "Authenticator code (or a recovery code): " : "Recovery code: ";
    if (previous) {
      if (ctx.env[ENV]) throw wrongCode(app ? "app_or_recovery" : "recovery");
      ctx.out.note(
        app
          ? "That code is wrong or was already used. Use the next code from your authenticator app, or a recovery code."
          : "That recovery code is wrong or was already used.",
      );
      const again = (await readLine(ctx.stdin, prompt)).trim();
      if (!again) throw wrongCode(app ? "app_or_recovery" : "recovery");
      return asSecondFactor(again);
    }
    return asSecondFactor(await readAnswer(ctx, prompt));
  };
}

/**
 * Read a code from the app and run `use` with it; at a terminal a wrong code (mfa_invalid) is
 * asked for again, a few times. The commands that manage MFA take app codes only.
 */
export async function withAppCode<T>(ctx: Ctx, use: (code: string) => Promise<T>, prompt = "Code from your authenticator app: "): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const answer = (await readAnswer(ctx, prompt)).replace(/\s/g, "");
    if (!/^\d{6}$/.test(answer)) {
      if (typed(ctx) && attempt < TRIES) {
        ctx.out.note("A code from the app has six digits.");
        continue;
      }
      throw new CliError("mfa_invalid", "a code from the authenticator app has six digits", "type the six digits the app shows for this account");
    }
    try {
      return await use(answer);
    } catch (err) {
      if (!isParleyError(err, "mfa_invalid")) throw err;
      if (!typed(ctx) || attempt >= TRIES) throw wrongCode("app");
      ctx.out.note("That code is wrong or was already used. Wait for the next code from the app and type it.");
    }
  }
}
