/**
 * Account email: the messages Parley sends (invites, password resets, address checks,
 * security notices) and the durable `mail.send` job that delivers them. A message is
 * rendered and sealed through platform/kms when the command that causes it commits (a
 * reset link is a secret: the jobs table never holds it in clear), and sent by the job
 * runner with retries. No email ever carries message content.
 */
import type { Deps } from "../../context.ts";
import type { CommandEffects } from "../../command.ts";
import type { JobHandler } from "../../platform/jobs/index.ts";
import type { MailMessage } from "../../platform/mail/index.ts";
import { AppError } from "../../core/errors.ts";

const MAIL_JOB = "mail.send";
const SEAL_CONTEXT = "mail.send";

/** Throws email_unavailable when the server sends no email. */
export function requireMail(deps: Deps, what: string): void {
  if (!deps.mail.configured) {
    throw new AppError("email_unavailable", `this server sends no email (PARLEY_SMTP_URL is not set), so ${what}; ask an admin`);
  }
}

/** Queue a message in the command's transaction; it is sent after the commit (or never, if the command rolls back). */
export async function queueMail(deps: Deps, fx: CommandEffects, msg: MailMessage): Promise<void> {
  if (!deps.mail.configured) return;
  const sealed = await deps.kms.seal(new TextEncoder().encode(JSON.stringify(msg)), SEAL_CONTEXT);
  // Several attempts over about an hour: an SMTP server restarting or greylisting is waited out.
  await fx.job(MAIL_JOB, { sealed }, { maxAttempts: 8 });
}

/** The job that sends queued email. */
export function mailJobHandlers(deps: Deps): Record<string, JobHandler> {
  return {
    [MAIL_JOB]: async (payload) => {
      const { sealed } = payload as { sealed: string };
      const msg = JSON.parse(new TextDecoder().decode(await deps.kms.open(sealed, SEAL_CONTEXT))) as MailMessage;
      await deps.mail.send(msg);
      deps.log.info({ job: MAIL_JOB, subject: msg.subject }, "email sent");
    },
  };
}

// ---- the messages --------------------------------------------------------------

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

interface Part {
  text: string;
  /** A link shown as a button in HTML and on its own line in text. */
  link?: { label: string; url: string };
}

/** Plain text and HTML renderings of the same paragraphs. */
function render(to: string, subject: string, parts: Part[]): MailMessage {
  const text = parts.map((p) => (p.link ? `${p.text}\n\n${p.link.url}` : p.text)).join("\n\n");
  const html = [
    `<!doctype html><html><body style="font-family:system-ui,sans-serif;line-height:1.5;color:#1b1f24;max-width:560px">`,
    ...parts.map((p) =>
      p.link
        ? `<p>${escapeHtml(p.text)}</p><p><a href="${escapeHtml(p.link.url)}" style="display:inline-block;padding:8px 16px;background:#2457d6;color:#fff;border-radius:6px;text-decoration:none">${escapeHtml(p.link.label)}</a></p><p style="font-size:12px;color:#57606a">${escapeHtml(p.link.url)}</p>`
        : `<p>${escapeHtml(p.text)}</p>`,
    ),
    `</body></html>`,
  ].join("\n");
  return { to, subject, text: `${text}\n\n-- \nParley\n`, html };
}

const NOT_YOU = "If this was not you, tell your Parley admin.";
const when = (ms: number) =>
  new Date(ms)
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d+Z$/, " UTC");

export interface AccountRef {
  /** Org display name. */
  orgName: string;
  username: string;
}

export const mails = {
  passwordReset(to: string, a: AccountRef & { url: string; expiresAt: number; byAdmin: boolean }): MailMessage {
    return render(to, `Reset your Parley password (${a.orgName})`, [
      {
        text: a.byAdmin
          ? `An admin of ${a.orgName} reset the password of your account ${a.username}. Your old password no longer works. Choose a new one:`
          : `Someone asked to reset the password of your account ${a.username} in ${a.orgName}. To choose a new password, open this link:`,
        link: { label: "Choose a new password", url: a.url },
      },
      {
        text: `The link works once, until ${when(a.expiresAt)}. ${a.byAdmin ? "" : "If you did not ask for it, ignore this email: your password stays as it is."}`.trim(),
      },
    ]);
  },
  passwordChanged(to: string, a: AccountRef & { at: number; otherSessionsEnded: boolean; via: "change" | "reset" }): MailMessage {
    return render(to, `Your Parley password was changed (${a.orgName})`, [
      {
        text: `The password of your account ${a.username} in ${a.orgName} was ${a.via === "reset" ? "reset" : "changed"} at ${when(a.at)}.${a.otherSessionsEnded ? " Every other session was signed out." : ""}`,
      },
      { text: NOT_YOU },
    ]);
  },
  verifyEmail(to: string, a: AccountRef & { url: string; expiresAt: number }): MailMessage {
    return render(to, `Confirm your email address for Parley (${a.orgName})`, [
      { text: `Confirm that this is the email address of your account ${a.username} in ${a.orgName}:`, link: { label: "Confirm this address", url: a.url } },
      { text: `The link works once, until ${when(a.expiresAt)}. If you did not ask for it, ignore this email.` },
    ]);
  },
  emailChanged(to: string, a: AccountRef & { newEmail: string | null; byAdmin: boolean }): MailMessage {
    return render(to, `Your Parley email address was changed (${a.orgName})`, [
      {
        text: `${a.byAdmin ? "An admin changed" : "You changed"} the email address of your account ${a.username} in ${a.orgName}${a.newEmail ? ` to ${a.newEmail}` : " (it now has none)"}. Password-reset links and security notices go there from now on.`,
      },
      { text: NOT_YOU },
    ]);
  },
  mfaChanged(
    to: string,
    a: AccountRef & {
      change: "enabled" | "disabled" | "reset_by_admin" | "recovery_codes_regenerated" | "recovery_code_used" | "passkey_added" | "passkey_removed";
    },
  ): MailMessage {
    const what = {
      enabled: "An authenticator app was set up as a second sign-in factor",
      disabled: "The authenticator app was turned off: signing in needs only the password now",
      reset_by_admin: "An admin removed your second sign-in factors and signed you out everywhere; set up an authenticator again after signing in",
      recovery_codes_regenerated: "New recovery codes were made; the old ones no longer work",
      recovery_code_used: "A recovery code was used to sign in; each works once",
      passkey_added: "A passkey was added: it signs in without a password",
      passkey_removed: "A passkey was removed",
    }[a.change];
    return render(to, `Your Parley sign-in security changed (${a.orgName})`, [
      { text: `${what} for your account ${a.username} in ${a.orgName}.` },
      { text: NOT_YOU },
    ]);
  },
  newDevice(to: string, a: AccountRef & { deviceName: string; ip: string; at: number }): MailMessage {
    return render(to, `New sign-in to your Parley account (${a.orgName})`, [
      { text: `Your account ${a.username} in ${a.orgName} signed in on a new device, "${a.deviceName}", at ${when(a.at)} from ${a.ip}.` },
      { text: `If this was not you, change your password now and revoke the device under Devices. ${NOT_YOU}` },
    ]);
  },
  /** Unread mentions while offline: counts and channel names only, never content (notifications/mention-email.ts). */
  /** With `oneClickUrl`, the RFC 8058 headers: mail clients offer "Unsubscribe" and POST to it. */
  mentions(
    to: string,
    a: AccountRef & { channels: Array<{ name: string; count: number }>; url: string; unsubscribeUrl: string; oneClickUrl: string },
  ): MailMessage {
    const total = a.channels.reduce((n, c) => n + c.count, 0);
    const lines = a.channels.map((c) => `${c.name}: ${c.count} ${c.count === 1 ? "mention" : "mentions"}`).join("\n");
    const msg = render(to, `${total} unread ${total === 1 ? "mention" : "mentions"} in ${a.orgName} on Parley`, [
      { text: `You were mentioned while you were away (${a.username} in ${a.orgName}):` },
      { text: lines },
      { text: "Open Parley to read them:", link: { label: "Open Parley", url: a.url } },
      { text: "To stop these emails (you can turn them on again in your notification settings):", link: { label: "Unsubscribe", url: a.unsubscribeUrl } },
    ]);
    return { ...msg, headers: { "List-Unsubscribe": `<${a.oneClickUrl}>`, "List-Unsubscribe-Post": "List-Unsubscribe=One-Click" } };
  },
  invite(to: string, a: { orgName: string; inviter: string; role: string; url: string; expiresAt: number }): MailMessage {
    return render(to, `${a.inviter} invited you to ${a.orgName} on Parley`, [
      {
        text: `${a.inviter} invited you to join ${a.orgName} on Parley as ${a.role === "guest" ? "a guest" : `a ${a.role}`}.`,
        link: { label: "Accept the invite", url: a.url },
      },
      { text: `The link works once, until ${when(a.expiresAt)}.` },
    ]);
  },
};
