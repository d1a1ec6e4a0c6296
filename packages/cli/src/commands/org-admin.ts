/**
 * Org administration over HTTP, signed in as an org admin: invites (optionally emailed),
 * resetting a user's password, setting a user's email address, the org's password policy.
 * (`parley admin ...` does the offline kind, directly on the database.)
 */
import type { OrgRole, PasswordPolicy } from "@parley/protocol";
import { int, str, type Command } from "../command.ts";
import { UsageError } from "../errors.ts";
import { when } from "../render.ts";
import { directory, withClient } from "../session.ts";
import { emailArg } from "./account-settings.ts";
import { parseDuration, role } from "./admin.ts";

function policyLines(p: PasswordPolicy): string[] {
  return [
    `Passwords need at least ${p.minLength} characters.`,
    p.blockCommon
      ? "Common passwords, and ones containing the username or the organisation's name, are refused."
      : "Common passwords are allowed (--block-common on refuses them).",
  ];
}

function onOff(value: string): boolean {
  if (value === "on") return true;
  if (value === "off") return false;
  throw new UsageError(`--block-common takes on or off, got '${value}'`);
}

export const orgAdminCommands: Command[] = [
  {
    name: ["invite", "create"],
    usage: "[--role member|guest|admin] [--max-uses N] [--expires 7d] [--email ADDRESS]",
    summary: "Create an invite link (admins); --email sends it to that address",
    details: `Flags:
  --role R            the new user's org role: member (default), guest or admin
  --max-uses N        how many accounts the link creates (default 1)
  --expires D         how long it works: 7d (default), 12h, 30m or seconds; 1m to 30d
  --email ADDRESS     email the link there; the account created from it gets that address`,
    options: { role: { type: "string" }, "max-uses": { type: "string" }, expires: { type: "string" }, email: { type: "string" } },
    async run(ctx) {
      const r = role(str(ctx.opts, "role") ?? "member", ["admin", "member", "guest"]) as Exclude<OrgRole, "owner">;
      const maxUses = int(str(ctx.opts, "max-uses"), "--max-uses");
      const expiresInSeconds = parseDuration(str(ctx.opts, "expires") ?? "7d");
      if (expiresInSeconds < 60 || expiresInSeconds > 30 * 86400) throw new UsageError("--expires must be between 1m and 30d");
      const address = str(ctx.opts, "email");
      const email = address === undefined ? undefined : emailArg(address);
      const { invite, link, server } = await withClient(ctx, async ({ api, session }) => {
        const invite = await api.call("createInvite", {
          body: { role: r, expiresInSeconds, ...(maxUses !== undefined ? { maxUses } : {}), ...(email ? { email } : {}) },
        });
        return { invite, server: session.baseUrl, link: `${session.baseUrl}/invite/${invite.token}` };
      });
      ctx.out.result({ ...invite, link }, [
        `Invite as ${invite.role}, ${invite.maxUses} use(s), expires ${when(invite.expiresAt)}`,
        ...(invite.emailed ? [`  emailed to: ${invite.email ?? email}`] : []),
        `  link:  ${link}`,
        `  token: ${invite.token}`,
        `Accept it: parley invite accept ${invite.token} --server ${server} --username USER --display-name 'NAME'`,
      ]);
    },
  },
  {
    name: ["users", "reset-password"],
    usage: "USERNAME",
    summary: "Reset a user's password (admins): it stops working, their sessions end, and they get a one-time reset link",
    details: `The link is emailed to the user; when they have no email address (or the server sends no
email) it is printed once instead: hand it to them over a channel you trust. It works for 1 hour.`,
    min: 1,
    async run(ctx) {
      const r = await withClient(ctx, async ({ api }) => {
        const user = (await directory(api)).byName(ctx.args[0]!);
        return { user, ...(await api.call("adminResetPassword", { params: { id: user.id } })) };
      });
      const { user, ...reset } = r;
      const head = `The password of ${user.username} was reset: it no longer works and every session of theirs has ended.`;
      ctx.out.result(
        { username: user.username, userId: user.id, ...reset },
        reset.emailed
          ? [head, `A reset link was emailed to ${user.email ?? "their address"}; it works until ${when(reset.expiresAt)}.`]
          : [
              head,
              `${user.email ? "This server sends no email" : "They have no email address"}: give them this one-time link (it works until ${when(reset.expiresAt)}):`,
              `  ${reset.resetUrl ?? "(the server returned no link)"}`,
            ],
      );
    },
  },
  {
    name: ["users", "set-email"],
    usage: "USERNAME (ADDRESS | --clear)",
    summary: "Set or clear a user's email address (admins); their old address, if any, is told",
    min: 1,
    max: 2,
    options: { clear: { type: "boolean" } },
    async run(ctx) {
      const u = "parley users set-email USERNAME (ADDRESS | --clear)";
      const address = ctx.args[1];
      if ((address === undefined) === !ctx.opts.clear) throw new UsageError(`give an ADDRESS or --clear (usage: ${u})`);
      const email = address === undefined ? null : emailArg(address);
      const user = await withClient(ctx, async ({ api }) => {
        const { id } = (await directory(api)).byName(ctx.args[0]!);
        return api.call("adminSetEmail", { params: { id }, body: { email } });
      });
      ctx.out.result({ user }, user.email ? `${user.username}'s email address is now ${user.email}.` : `${user.username} has no email address now.`);
    },
  },
  {
    name: ["org", "password-policy"],
    usage: "[--min-length N] [--block-common on|off]",
    summary: "Show the org's password policy, or change it (admins; applies to passwords chosen from now on)",
    details: `Flags:
  --min-length N        fewest characters a new password may have (8 to 64; default 10)
  --block-common on|off refuse common breached passwords and ones containing the username or org name

Without flags it shows the policy.`,
    options: { "min-length": { type: "string" }, "block-common": { type: "string" } },
    async run(ctx) {
      const minLength = int(str(ctx.opts, "min-length"), "--min-length", 8);
      if (minLength !== undefined && minLength > 64) throw new UsageError(`--min-length must be between 8 and 64, got '${minLength}'`);
      const blockCommonFlag = str(ctx.opts, "block-common");
      const blockCommon = blockCommonFlag === undefined ? undefined : onOff(blockCommonFlag);
      const policy = await withClient(ctx, async ({ api }) => {
        const current = await api.call("getPasswordPolicy");
        if (minLength === undefined && blockCommon === undefined) return current;
        return api.call("setPasswordPolicy", { body: { minLength: minLength ?? current.minLength, blockCommon: blockCommon ?? current.blockCommon } });
      });
      ctx.out.result({ policy }, policyLines(policy));
    },
  },
];
