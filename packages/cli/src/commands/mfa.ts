/**
 * `parley account mfa ...`: the signed-in user's own second factor, an authenticator app
 * (TOTP) with ten one-time recovery codes. These commands go over plain REST (withAccount),
 * so a session the org restricts to MFA enrolment can enrol; once it has, the sign-in is
 * finished here (this device's E2EE registration, and a first device's recovery key).
 */
import { renderUnicodeCompact } from "uqr";
import type { MfaStatus } from "@parley/protocol";
import { isParleyError, type Api } from "@parley/sdk/node";
import type { Command, Ctx } from "../command.ts";
import { CliError } from "../errors.ts";
import { when } from "../render.ts";
import { withAppCode } from "../second-factor.ts";
import { withAccount } from "../session.ts";
import { currentPassword, wrongCurrentPassword } from "./account-settings.ts";
import { signedInSummary } from "./account.ts";

const SCRIPTS = `In scripts: the password from PARLEY_PASSWORD (or the first line of stdin), the code from
PARLEY_MFA_CODE (or the next line of stdin). At a terminal a wrong code is asked for again.`;

function statusLines(st: MfaStatus): string[] {
  const lines = [st.totp.enabled ? `Authenticator app: on${st.totp.enabledAt ? ` (since ${when(st.totp.enabledAt)})` : ""}` : "Authenticator app: off"];
  if (st.totp.enabled)
    lines.push(`Recovery codes left: ${st.recoveryCodesLeft} of 10${st.recoveryCodesLeft <= 3 ? " — make new ones: parley account mfa recovery-codes" : ""}`);
  // The deadline as the server counts it: this machine's clock may differ, so it is not compared here.
  if (st.required && !st.totp.enabled)
    lines.push(`Your organisation requires it${st.enrollBy !== null ? ` (deadline ${when(st.enrollBy)})` : ""}: parley account mfa enable`);
  else if (st.required) lines.push("Your organisation requires it, so it cannot be turned off.");
  else if (!st.totp.enabled) lines.push("Turn it on: parley account mfa enable");
  return lines;
}

const notEnabled = (hint: string) => new CliError("mfa_not_enabled", "no authenticator app is set up for your account", hint);

/**
 * Whether this session is restricted to MFA enrolment. The E2EE config is the first thing
 * the full client fetches, and exactly what such a session is refused.
 */
async function restrictedToEnrolment(api: Api): Promise<boolean> {
  try {
    await api.call("getE2eeConfig");
    return false;
  } catch (err) {
    if (isParleyError(err, "mfa_enrollment_required")) return true;
    throw err;
  }
}

/** The new secret, to stderr (a QR code only on a terminal): what the app needs before it can show a code. */
function showSecret(ctx: Ctx, start: { secret: string; otpauthUri: string }, qr: boolean): void {
  const grouped = start.secret.match(/.{1,4}/g)!.join(" ");
  ctx.out.note(
    [
      `Add this account to your authenticator app (Google Authenticator, Aegis, 1Password, …)${qr ? ": scan this QR code," : ":"}`,
      ...(qr ? ["", renderUnicodeCompact(start.otpauthUri, { border: 2 }), ""] : []),
      `${qr ? "or " : ""}enter this secret (time-based, 6 digits, 30 seconds):`,
      `  ${grouped}`,
      "or open this link on the device with the app:",
      `  ${start.otpauthUri}`,
    ].join("\n"),
  );
}

/** The recovery codes as printed, with the line that says to keep them (to stderr with --json, where the codes are in the document). */
function recoveryCodeLines(ctx: Ctx, codes: string[]): string[] {
  const warning = "Store these recovery codes now (a password manager, a printed copy): they are shown only this once.";
  const use = "Each one signs you in once when your authenticator app is not at hand.";
  if (ctx.out.json) {
    ctx.out.note(`${warning} ${use}`);
    return [];
  }
  const rows: string[] = [];
  for (let i = 0; i < codes.length; i += 2) rows.push(`  ${codes.slice(i, i + 2).join("   ")}`);
  return ["", warning, use, "", ...rows];
}

export const mfaCommands: Command[] = [
  {
    name: ["account", "mfa"],
    usage: "",
    summary: "Your multi-factor authentication: authenticator app on or off, recovery codes left, whether your org requires it",
    details: `Subcommands:
  parley account mfa enable           set up an authenticator app (password, then a code from the app)
  parley account mfa disable          turn it off (password and a code)
  parley account mfa recovery-codes   replace your recovery codes (a code)`,
    async run(ctx) {
      const status = await withAccount(ctx, ({ api }) => api.call("getMfa"));
      ctx.out.result(status, statusLines(status));
    },
  },
  {
    name: ["account", "mfa", "enable"],
    usage: "[--no-qr]",
    summary: "Set up an authenticator app: signing in then asks for its code; prints 10 one-time recovery codes",
    details: `Flags:
  --no-qr   do not draw the QR code (it is drawn only when stderr is a terminal)

Type your current password; the app's secret is then shown as a QR code, as text and as an
otpauth:// link. Add it to your authenticator app and type the code the app shows. Ten
recovery codes are printed once: store them now. With --json they are in the result (with the
secret and the link), and the secret is shown on stderr before the code is read.

${SCRIPTS}
A session your organisation restricted to enrolling is fully signed in afterwards.`,
    options: { "no-qr": { type: "boolean" } },
    async run(ctx) {
      const qr = ctx.opts["no-qr"] !== true && process.stderr.isTTY === true;
      const r = await withAccount(ctx, async ({ api }) => {
        if ((await api.call("getMfa")).totp.enabled)
          throw new CliError(
            "mfa_already_enabled",
            "an authenticator app is already set up for your account",
            "new recovery codes: `parley account mfa recovery-codes`; another app: `parley account mfa disable` first",
          );
        const restricted = await restrictedToEnrolment(api);
        const start = await api.call("startTotp", { body: { currentPassword: await currentPassword(ctx) } }).catch(wrongCurrentPassword);
        showSecret(ctx, start, qr);
        const { recoveryCodes } = await withAppCode(ctx, (code) => api.call("confirmTotp", { body: { code } }), "Code from the app: ");
        return { restricted, secret: start.secret, otpauthUri: start.otpauthUri, recoveryCodes };
      });
      const { restricted, ...enabled } = r;
      const lines = [
        "Multi-factor authentication is on: signing in now asks for a code from your authenticator app (or a recovery code).",
        ...recoveryCodeLines(ctx, enabled.recoveryCodes),
      ];
      if (!restricted) return ctx.out.result({ enabled: true, ...enabled }, lines);
      // The sign-in that was held back for this can finish now.
      const signedIn = await signedInSummary(ctx, "Signed in");
      ctx.out.result({ enabled: true, ...enabled, signedIn: signedIn.data }, [...lines, "", ...signedIn.lines]);
    },
  },
  {
    name: ["account", "mfa", "disable"],
    usage: "",
    summary: "Turn the authenticator app off (current password and a code); your recovery codes stop working",
    details: `Refused while your organisation requires multi-factor authentication of you.

${SCRIPTS}`,
    async run(ctx) {
      await withAccount(ctx, async ({ api }) => {
        const status = await api.call("getMfa");
        if (!status.totp.enabled) throw notEnabled("there is nothing to turn off (set one up with `parley account mfa enable`)");
        if (status.required)
          throw new CliError(
            "forbidden",
            "your organisation requires multi-factor authentication of you, so it cannot be turned off",
            "to move it to another phone, ask an org admin to reset it (`parley users reset-mfa USER`), then run `parley account mfa enable` again",
          );
        const password = await currentPassword(ctx);
        await withAppCode(ctx, (code) => api.call("disableTotp", { body: { currentPassword: password, code } }).catch(wrongCurrentPassword));
      });
      ctx.out.result({ disabled: true }, "The authenticator app is off and your recovery codes no longer work: signing in asks for your password only.");
    },
  },
  {
    name: ["account", "mfa", "recovery-codes"],
    usage: "",
    summary: "Replace your recovery codes (a code from the app); the old ones stop working",
    details: `The ten new codes are printed once: store them now. With --json they are in the result.

The code is read from PARLEY_MFA_CODE, else typed, else the first line of stdin.`,
    async run(ctx) {
      const { recoveryCodes } = await withAccount(ctx, async ({ api }) => {
        if (!(await api.call("getMfa")).totp.enabled) throw notEnabled("recovery codes come with an authenticator app: `parley account mfa enable`");
        return withAppCode(ctx, (code) => api.call("regenerateRecoveryCodes", { body: { code } }));
      });
      ctx.out.result({ recoveryCodes }, ["New recovery codes: the old ones no longer work.", ...recoveryCodeLines(ctx, recoveryCodes)]);
    },
  },
];
