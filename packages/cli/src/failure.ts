/**
 * Turn any thrown value into a CliError with one line saying what to do next:
 * server error codes (from @parley/protocol), unreachable servers, bad config.
 */
import { ERROR_STATUS } from "@parley/protocol";
import { CliError } from "./errors.ts";

const HINTS: Partial<Record<keyof typeof ERROR_STATUS, string>> = {
  unauthorized: "sign in again with `parley login`",
  token_expired: "sign in again with `parley login`",
  refresh_token_invalid: "your session ended: sign in again with `parley login`",
  refresh_token_reused: "your session was revoked for safety: sign in again with `parley login`",
  invalid_credentials: "check the org slug, username and password",
  mfa_required: "this account uses multi-factor authentication: type the code from your authenticator app when asked (scripts: set PARLEY_MFA_CODE)",
  mfa_invalid: "codes change every 30 seconds and each works once: use the next one from your authenticator app (and check the clock of the device it runs on)",
  mfa_challenge_invalid: "this sign-in expired (after 5 minutes) or had too many wrong codes: run `parley login` again",
  mfa_enrollment_required:
    "your organisation requires multi-factor authentication: run `parley account mfa enable` to set up an authenticator app (this profile stays signed in for it), then retry",
  user_deactivated: "ask an org admin to reactivate the account (`parley admin reactivate USER`)",
  ip_not_allowed: "your organisation allows sign-in only from certain networks: connect from one (VPN, office), or ask an org admin",
  org_suspended: "the server's operator has suspended this organisation: contact them",
  idp_unavailable: "your organisation's identity provider cannot be reached: retry shortly, or ask an org admin",
  forbidden: "ask an org admin or channel admin to do this, or to grant you the role",
  not_found: "check the name or number (`parley channel list`, `parley users`, `parley read CHANNEL`)",
  already_exists: "pick another name",
  setup_complete: "this server is already set up: sign in with `parley login`",
  channel_archived: "unarchive it first: `parley channel unarchive NAME`",
  invite_invalid: "ask an admin for a new invite (`parley invite create`)",
  token_invalid: "links work once and expire: ask for a new one (`parley password-reset request`, or `parley account email ADDRESS` again)",
  email_taken: "another account of this organisation uses that address: use another one, or ask an org admin",
  email_unavailable:
    "this server sends no email (its operator has not set PARLEY_SMTP_URL): an org admin can reset a password with `parley users reset-password USER` and hand out invite links directly",
  payload_too_large: "send less data",
  message_too_large: "send a shorter message",
  edit_not_allowed: "your organisation limits editing (the error says how): send a correction as a new message, or delete and resend",
  rate_limited: "wait a moment and retry",
  login_throttled: "too many attempts: wait a few minutes and retry",
  too_many_connections: "this device or account has too many live connections: close one (another `parley` or browser tab), or wait a minute",
  validation_failed: "check the values you passed (`parley COMMAND --help`)",
  policy_invalid: "fix the policy text (check it with `parley policies validate --file FILE`); nothing was stored",
  policy_lockout:
    'at least one owner or admin must still be able to manage the org\'s security: exempt them (e.g. unless { principal.role == "owner" }); try it with `parley policies dry-run --action org.manage_security --file FILE`; nothing was stored',
  unavailable: "the server is busy or shutting down: retry shortly",
  internal: "retry; if it persists, check the server log",
};

interface CodedError {
  code?: unknown;
  message?: unknown;
  details?: unknown;
  retryAfter?: unknown;
  cause?: unknown;
}

/** Map a thrown value to a CliError (exit 1 unless it is already a CliError). */
export function toCliError(err: unknown): CliError {
  if (err instanceof CliError) return err;
  // By name, not instanceof: importing @parley/server here would load the whole server for every command.
  if (err instanceof Error && err.constructor.name === "ConfigError") {
    return new CliError("config", err.message.replace(/\n\s*/g, "; "), "fix the setting named above (flag or environment variable)");
  }
  const e = (err ?? {}) as CodedError;
  const code = typeof e.code === "string" ? e.code : "";
  const message = typeof e.message === "string" ? e.message : String(err);
  if ((e as NodeJS.ErrnoException).code === "EADDRINUSE") {
    return new CliError("address_in_use", message, "another process uses that port: pick another with --port (or PARLEY_PORT)");
  }
  if (code in ERROR_STATUS) {
    const k = code as keyof typeof ERROR_STATUS;
    let hint = HINTS[k];
    if ((k === "rate_limited" || k === "login_throttled") && typeof e.retryAfter === "number") hint = `wait ${e.retryAfter}s and retry`;
    if (k === "password_rejected") return passwordRejected(e.details);
    const detail =
      k === "validation_failed"
        ? describeIssues(e.details)
        : k === "policy_invalid"
          ? describeProblems(e.details)
          : k === "policy_lockout"
            ? describeDenials(e.details)
            : "";
    return new CliError(code, `${message}${detail}`, hint);
  }
  // By name, like ConfigError: the KMS message names the key file, HSM module, slot or token and what to fix.
  if (err instanceof Error && err.constructor.name === "KmsError") {
    return new CliError("kms", message, "fix the KMS settings (PARLEY_KMS, PARLEY_KMS_KEY_FILE, PARLEY_PKCS11_*): docs/operations.md, KMS and HSM");
  }
  // By name, like ConfigError: E2EE failures (a refused key, a group that cannot be joined) are not CLI bugs.
  if (err instanceof Error && err.constructor.name === "E2eeError") {
    return new CliError(
      code || "e2ee",
      `end-to-end encryption: ${message}`,
      "retry; if it persists, the device's key store may be damaged (sign in again as a new device)",
    );
  }
  if (code === "network" || code === "timeout" || isConnectionError(err)) {
    return new CliError("unreachable", `cannot reach the server (${rootMessage(err)})`, "check --server, or start one with `parley start`");
  }
  return new CliError("internal", message, "this looks like a bug: rerun with PARLEY_DEBUG=1 for details");
}

/** A new password the org's policy refuses, by `details.reason` (nothing was changed). */
export function passwordRejected(details: unknown): CliError {
  const d = (details ?? {}) as { reason?: unknown; minLength?: unknown };
  const [message, hint] =
    d.reason === "too_short"
      ? [
          `the new password is too short: this organisation requires at least ${typeof d.minLength === "number" ? d.minLength : "more"} characters`,
          "choose a longer one (a few unrelated words make a strong, memorable password)",
        ]
      : d.reason === "common"
        ? ["the new password is one of the most commonly used (and guessed) passwords", "choose one that is not a common word or pattern"]
        : d.reason === "contains_name"
          ? ["the new password contains your username or the organisation's name", "choose one without them"]
          : ["the new password breaks the organisation's password policy", "choose a longer, less common one"];
  return new CliError("password_rejected", `${message}; nothing was changed`, hint);
}

function describeIssues(details: unknown): string {
  const issues = (details as { issues?: Array<{ path?: unknown[]; message?: string }> } | undefined)?.issues;
  if (!Array.isArray(issues) || !issues.length) return "";
  return `: ${issues
    .slice(0, 3)
    .map((i) => `${(i.path ?? []).join(".") || "value"} ${i.message ?? ""}`.trim())
    .join("; ")}`;
}

/** A policy problem as "line:column: message (help)", the position left out when Cedar gave none. */
export function located(p: { message: string; help: string | null; at?: { line: number; column: number } | null | undefined }): string {
  return `${p.at ? `${p.at.line}:${p.at.column}: ` : " "}${p.message}${p.help ? ` (${p.help})` : ""}`;
}

/** Where the first problem is, its help, and how many more there are: the message already names it. */
function describeProblems(details: unknown): string {
  const problems = (details as { problems?: unknown } | undefined)?.problems as Array<Parameters<typeof located>[0]> | undefined;
  const first = Array.isArray(problems) ? problems[0] : undefined;
  if (!first) return "";
  const more = problems!.length - 1;
  return `${first.at ? ` (line ${first.at.line}, column ${first.at.column})` : ""}${first.help ? `; ${first.help}` : ""}${more > 0 ? `; and ${more} more problem(s)` : ""}`;
}

function describeDenials(details: unknown): string {
  const policies = (details as { policies?: unknown } | undefined)?.policies;
  if (!Array.isArray(policies) || !policies.length) return "";
  return ` (denied by ${policies.map((n) => `"${String(n)}"`).join(", ")})`;
}

function rootMessage(err: unknown): string {
  let e = err as CodedError | undefined;
  for (let i = 0; i < 5 && e?.cause; i++) e = e.cause as CodedError;
  const code = typeof e?.code === "string" ? e.code : "";
  return code || (typeof e?.message === "string" ? e.message : String(err));
}

function isConnectionError(err: unknown): boolean {
  const seen = new Set<unknown>();
  let e = err as CodedError | undefined;
  while (e && !seen.has(e)) {
    seen.add(e);
    if (typeof e.code === "string" && /^(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ETIMEDOUT|UND_ERR_)/.test(e.code)) return true;
    if (e.message === "fetch failed") return true;
    e = e.cause as CodedError | undefined;
  }
  return false;
}
