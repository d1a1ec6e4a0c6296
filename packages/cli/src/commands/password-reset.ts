/**
 * `parley password-reset ...`: a forgotten password, without being signed in. `request`
 * asks the server to email a reset link; `complete` takes that link (or its token), shows
 * whose password it resets, and sets a new one. Every session of the account then ends.
 */
import { createApi } from "@parley/sdk/node";
import { required, str, type Command } from "../command.ts";
import { CliError, UsageError } from "../errors.ts";
import { passwordRejected } from "../failure.ts";
import { tokenFromLink } from "../link.ts";
import { readLine, readNewPassword } from "../password.ts";
import { when } from "../render.ts";
import { serverUrl } from "../session.ts";

export const passwordResetCommands: Command[] = [
  {
    name: ["password-reset", "request"],
    usage: "--server URL --org SLUG --login USER_OR_EMAIL",
    summary: "Forgot your password? Email yourself a reset link (to the address of your account)",
    details: `Flags:
  --server URL            the Parley server
  --org SLUG              your organisation's slug
  --login USER_OR_EMAIL   your username or your email address

The answer is the same whether or not the account exists. Without an email address on
the account (or email on the server), ask an org admin: parley users reset-password USER`,
    options: { server: { type: "string" }, org: { type: "string" }, login: { type: "string" } },
    async run(ctx) {
      const u = "password-reset request --server URL --org SLUG --login USER_OR_EMAIL";
      const server = serverUrl(required(ctx.opts, "server", u));
      const org = required(ctx.opts, "org", u);
      const login = required(ctx.opts, "login", u).trim();
      await createApi({ baseUrl: server }).call("requestPasswordReset", { body: { org, login: login.includes("@") ? login : login.toLowerCase() } });
      ctx.out.result({ accepted: true, server, org, login }, [
        `If "${login}" has an account in ${org} with an email address, a reset link is on its way to that address (it works for 1 hour).`,
        `Open it in a browser, or run: parley password-reset complete --server ${server}   (and paste the link)`,
      ]);
    },
  },
  {
    name: ["password-reset", "complete"],
    usage: "[--server URL]",
    summary: "Set a new password with the reset link from the email (link from stdin; new password: PARLEY_NEW_PASSWORD or stdin)",
    details: `Paste the whole link (…/reset-password#token=…) or its token when asked, or pipe it as the
first line of stdin. The account it resets is shown; then type the new password twice (or set
PARLEY_NEW_PASSWORD, or pipe it as the second line). --server is needed only with a bare token.
Every session of the account ends: sign in again afterwards.`,
    options: { server: { type: "string" } },
    async run(ctx) {
      const pasted = await readLine(ctx.stdin, "Reset link from the email: ");
      if (!pasted) throw new CliError("no_token", "no reset link given", "paste the link from the email when asked, or pipe it on stdin");
      const { token, origin } = tokenFromLink(pasted, "password-reset");
      const flag = str(ctx.opts, "server");
      const server = flag ? serverUrl(flag) : origin;
      if (!server) throw new UsageError("--server is required with a bare token (usage: parley password-reset complete --server URL)");
      const api = createApi({ baseUrl: server });
      const info = await api.call("checkPasswordReset", { body: { token } });
      const rules = info.policy.blockCommon ? "; not a common password, and without your username or the organisation's name" : "";
      ctx.out.note(
        `Resetting the password of ${info.username} in ${info.org.name} (${info.org.slug}); the link works until ${when(info.expiresAt)}.` +
          `\nThe new password needs at least ${info.policy.minLength} characters${rules}.`,
      );
      const newPassword = await readNewPassword(ctx.env, ctx.stdin);
      if (newPassword.length < info.policy.minLength) throw passwordRejected({ reason: "too_short", minLength: info.policy.minLength });
      await api.call("completePasswordReset", { body: { token, newPassword } });
      ctx.out.result({ changed: true, server, org: info.org.slug, username: info.username }, [
        `The password of ${info.username} in ${info.org.slug} was changed; every session of the account has ended.`,
        `Sign in: parley login --server ${server} --org ${info.org.slug} --username ${info.username}`,
      ]);
    },
  },
];
