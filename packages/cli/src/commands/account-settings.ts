/**
 * `parley account ...`: the signed-in user's own password, email address and profile
 * (display name, status line, picture). Email-address changes take effect through a link
 * sent to the new address (`parley account verify-email`).
 */
import { Email, Password, type User } from "@parley/protocol";
import { createApi, isParleyError, type Api } from "@parley/sdk/node";
import { str, type Command, type Ctx } from "../command.ts";
import { readAvatarFile } from "../avatar-file.ts";
import { CliError, UsageError } from "../errors.ts";
import { passwordRejected } from "../failure.ts";
import { tokenFromLink } from "../link.ts";
import { readLine, readNewPassword, readPassword } from "../password.ts";
import { when } from "../render.ts";
import { PROFILE_USAGE, profileChange, statusLine } from "../profile-flags.ts";
import { serverUrl, withClient } from "../session.ts";

/** The current password, as the first secret of a command (PARLEY_PASSWORD, else prompt or the first piped line). */
export const currentPassword = (ctx: Ctx) => readPassword(ctx.env, ctx.stdin, "Current password: ");

/** A refused current password says so (the generic hint speaks of org slugs and usernames). */
export function wrongCurrentPassword(err: unknown): never {
  if (isParleyError(err, "invalid_credentials"))
    throw new CliError(
      "invalid_credentials",
      "the current password is wrong; nothing was changed",
      "type your current password first (PARLEY_PASSWORD, or the first line on stdin)",
    );
  throw err;
}

/** Below the wire's minimum the server can only say validation_failed: say what the org's policy asks instead. */
async function checkNewPasswordLength(api: Api, password: string): Promise<void> {
  if (password.length >= (Password.minLength ?? 0)) return;
  const policy = await api.call("getPasswordPolicy");
  throw passwordRejected({ reason: "too_short", minLength: policy.minLength });
}

/** An email address given on the command line, or a usage error. */
export function emailArg(value: string): string {
  const parsed = Email.safeParse(value);
  if (!parsed.success) throw new UsageError(`'${value}' is not an email address`);
  return parsed.data;
}

/** The profile as shown by `account profile` and `whoami`: only what is set. */
export function profileLines(u: User): string[] {
  return [
    ...(u.email ? [`  email:   ${u.email}`] : []),
    ...(statusLine(u) ? [`  status:  ${statusLine(u)}`] : []),
    ...(u.title ? [`  title:   ${u.title}`] : []),
    ...(u.timeZone ? [`  time zone: ${u.timeZone}`] : []),
    ...(u.avatar ? ["  picture: set"] : []),
  ];
}

export const accountSettingsCommands: Command[] = [
  {
    name: ["account", "password"],
    usage: "[--sign-out-others]",
    summary: "Change your password (current: PARLEY_PASSWORD or stdin; new: PARLEY_NEW_PASSWORD or stdin)",
    details: `Flags:
  --sign-out-others   end every other session of yours (your devices stay registered and sign in again)

On a terminal you type the current password, then the new one twice (echo off). In scripts:
set PARLEY_PASSWORD and PARLEY_NEW_PASSWORD, or pipe the current and the new password as two
lines on stdin. You are emailed a notice. This profile stays signed in.`,
    options: { "sign-out-others": { type: "boolean" } },
    async run(ctx) {
      const signOutOtherSessions = ctx.opts["sign-out-others"] === true;
      await withClient(ctx, async ({ api }) => {
        const current = await currentPassword(ctx);
        const next = await readNewPassword(ctx.env, ctx.stdin);
        await checkNewPasswordLength(api, next);
        await api.call("changePassword", { body: { currentPassword: current, newPassword: next, signOutOtherSessions } }).catch(wrongCurrentPassword);
      });
      ctx.out.result({ changed: true, signedOutOtherSessions: signOutOtherSessions }, [
        "Your password was changed.",
        signOutOtherSessions
          ? "Every other session of yours was ended; this profile stays signed in."
          : "Your other sessions stay signed in (see `parley sessions`); end them too with --sign-out-others next time.",
      ]);
    },
  },
  {
    name: ["account", "email"],
    usage: "ADDRESS",
    summary: "Change your email address: a link is sent to ADDRESS, and the change takes effect when you follow it",
    details: `The current password is read from PARLEY_PASSWORD or stdin. Your present address (if any)
is told of the request and stays in use until the link is followed (within 24 hours): in a
browser, or with \`parley account verify-email LINK\`.`,
    min: 1,
    async run(ctx) {
      const email = emailArg(ctx.args[0]!);
      const r = await withClient(ctx, async ({ api }) => {
        return api.call("changeEmail", { body: { currentPassword: await currentPassword(ctx), email } }).catch(wrongCurrentPassword);
      });
      ctx.out.result(r, [
        `A link was sent to ${r.pendingEmail}: follow it by ${when(r.expiresAt)} to make it your address.`,
        "Or paste it here: parley account verify-email LINK",
      ]);
    },
  },
  {
    name: ["account", "verify-email"],
    usage: "[LINK_OR_TOKEN] [--server URL]",
    summary: "Confirm a new email address with the link sent to it (the link or its token; read from stdin when not given)",
    details: `The server is the link's, or --server, or this profile's when you paste a bare token.`,
    max: 1,
    options: { server: { type: "string" } },
    async run(ctx) {
      const pasted = ctx.args[0] ?? (await readLine(ctx.stdin, "Link from the email: "));
      if (!pasted) throw new UsageError("missing LINK_OR_TOKEN (usage: parley account verify-email [LINK_OR_TOKEN] [--server URL])");
      const { token, origin } = tokenFromLink(pasted, "verification");
      const server = str(ctx.opts, "server");
      const base = server ? serverUrl(server) : origin;
      const verify = (api: Api) => api.call("verifyEmail", { body: { token } });
      const { email } = base ? await verify(createApi({ baseUrl: base })) : await withClient(ctx, ({ api }) => verify(api));
      ctx.out.result({ email }, `Your email address is now ${email}.`);
    },
  },
  {
    name: ["account", "profile"],
    usage: PROFILE_USAGE,
    summary: "Show or change your display name, status, title, time zone and profile picture",
    details: `Without flags it shows them.
Flags:
  --display-name NAME   the name others see beside your username
  --status TEXT         a status line shown beside your name ("In a meeting until 3"; one line, at most 140 characters)
  --clear-status        remove the status (line, emoji and expiry)
  --status-emoji EMOJI  one emoji before the status line (setting any part of a status replaces the whole status)
  --status-until WHEN   the status ends: 30m, 1h, 4h, today, week (end of Sunday), or a date-time such as 2026-12-24T18:00
  --title TEXT          your job title (at most 100 characters); --clear-title removes it
  --time-zone TZ        your IANA time zone ("Europe/Berlin"); --clear-time-zone removes it
  --avatar FILE         a profile picture: PNG, JPEG or WebP, at most 256 KiB (the CLI does not resize pictures)
  --remove-avatar       remove your profile picture`,
    options: {
      "display-name": { type: "string" },
      status: { type: "string" },
      "clear-status": { type: "boolean" },
      "status-emoji": { type: "string" },
      "status-until": { type: "string" },
      title: { type: "string" },
      "clear-title": { type: "boolean" },
      "time-zone": { type: "string" },
      "clear-time-zone": { type: "boolean" },
      avatar: { type: "string" },
      "remove-avatar": { type: "boolean" },
    },
    async run(ctx) {
      const u = `parley account profile ${PROFILE_USAGE}`;
      const displayName = str(ctx.opts, "display-name");
      const avatarFile = str(ctx.opts, "avatar");
      if (avatarFile !== undefined && ctx.opts["remove-avatar"]) throw new UsageError(`--avatar and --remove-avatar exclude each other (usage: ${u})`);
      const change = { ...(displayName !== undefined ? { displayName } : {}), ...profileChange(ctx.opts, u, new Date()) };
      // The picture is checked before anything is changed.
      const avatar = avatarFile === undefined ? undefined : await readAvatarFile(avatarFile);
      const user = await withClient(ctx, async ({ api }) => {
        let user: User | undefined;
        if (Object.keys(change).length) user = await api.call("updateMe", { body: change });
        if (avatar) user = await api.call("setAvatar", { body: { contentType: avatar.contentType, data: avatar.data } });
        if (ctx.opts["remove-avatar"]) user = await api.call("deleteAvatar");
        return user ?? (await api.call("me")).user;
      });
      ctx.out.result({ user }, [
        `${user.username} (${user.displayName})`,
        `  status:  ${statusLine(user) || "(none)"}`,
        `  title:   ${user.title ?? "(none)"}`,
        `  time zone: ${user.timeZone ?? "(none)"}`,
        `  picture: ${user.avatar ? "set" : "none"}`,
        ...(user.email ? [`  email:   ${user.email}`] : []),
      ]);
    },
  },
];
