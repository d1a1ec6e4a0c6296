/**
 * The key locker and recovery key (issue 9, ADR 0007): `parley recovery-key status` says whether
 * this device reads the user's locker (every channel's past); `restore` reads it with the recovery
 * key on a device with no other device to approve it; `change` replaces the key from a device that
 * reads the locker. The key is set up — and printed once, with a warning — when the user's first
 * device signs in (setup, login, invite accept).
 */
import { isRecoveryKeyError, type ParleyClient } from "@parley/sdk/node";
import type { Command, Ctx } from "../command.ts";
import { CliError } from "../errors.ts";
import { readSecret } from "../password.ts";
import { withClient } from "../session.ts";

const WARNING = [
  "Write this recovery key down and keep it somewhere safe (a password manager, a printed copy).",
  "It is shown only now. With it, a new device reads all your earlier messages when no other device of yours is at hand;",
  "without it and without another device, they cannot be recovered — not even by your administrator.",
];

function lockerOf(client: ParleyClient) {
  const e2ee = client.e2ee;
  if (!e2ee) throw new CliError("e2ee_off", "end-to-end encryption is off in this profile", "sign in again without a test codec");
  return e2ee.locker;
}

/** The recovery key as printed: the key, then the warning (to stderr with --json, where the key is in the document). */
export function recoveryKeyLines(ctx: Ctx, key: string): string[] {
  if (ctx.out.json) {
    for (const w of WARNING) ctx.out.note(w);
    return [];
  }
  return ["", `Recovery key:  ${key}`, "", ...WARNING.map((w) => `  ${w}`), ""];
}

/**
 * After a sign-in: set the user's key locker up if they have none yet (this is their first device
 * with one) and return its recovery key; else say how this device reads the past.
 */
export async function lockerAfterSignIn(client: ParleyClient): Promise<{ recoveryKey?: string; hint?: string }> {
  const locker = client.e2ee?.locker;
  if (!locker) return {};
  const status = await locker.status();
  if (!status.exists) return { recoveryKey: await locker.setUp() };
  if (!status.canRead)
    return {
      hint: "To read messages from before this device, approve it from another device (`parley devices request-approval` here), or run: parley recovery-key restore",
    };
  return {};
}

export const recoveryKeyCommands: Command[] = [
  {
    name: ["recovery-key", "status"],
    usage: "",
    summary: "Whether you have a key locker and whether this device reads it (your earlier messages)",
    async run(ctx) {
      const status = await withClient(ctx, ({ client }) => lockerOf(client).status());
      ctx.out.result(
        status,
        !status.exists
          ? "No key locker yet: sign in again (parley login) to set one up and get your recovery key."
          : status.canRead
            ? "This device reads your key locker: your earlier messages are readable here."
            : "This device does not read your key locker yet: run `parley recovery-key restore` with your recovery key.",
      );
    },
  },
  {
    name: ["recovery-key", "restore"],
    usage: "",
    summary: "Read your earlier messages on this device with your recovery key (from PARLEY_RECOVERY_KEY or stdin)",
    details: "The key is read from PARLEY_RECOVERY_KEY, else typed (hidden) or piped on stdin; case, spaces and dashes do not matter.",
    async run(ctx) {
      const key = await readSecret(ctx.env, ctx.stdin, {
        envVar: "PARLEY_RECOVERY_KEY",
        prompt: "Recovery key: ",
        what: "recovery key",
        code: "no_recovery_key",
      });
      const added = await withClient(ctx, async ({ client }) => {
        try {
          return await lockerOf(client).restore(key);
        } catch (err) {
          if (isRecoveryKeyError(err))
            throw new CliError("recovery_key_wrong", (err as Error).message, "check the key you wrote down; nothing on this device was changed");
          throw err;
        }
      });
      ctx.out.result({ restored: added }, `Restored ${added} history keys: your earlier messages are readable on this device (parley read CHANNEL).`);
    },
  },
  {
    name: ["recovery-key", "change"],
    usage: "",
    summary: "Replace your recovery key (the old one stops working); from a device that reads your key locker",
    async run(ctx) {
      const key = await withClient(ctx, ({ client }) => lockerOf(client).changeRecoveryKey());
      ctx.out.result({ recoveryKey: key }, recoveryKeyLines(ctx, key));
    },
  },
];
