/**
 * Stable error codes shared by the server and every client. Each code has one
 * fixed HTTP status; the SDK maps codes to typed errors. Never rename a code:
 * add a new one and bump {@link API_VERSION}.
 */
export const ERROR_STATUS = {
  /** The request body, query or path did not match the schema. */
  validation_failed: 400,
  /** The request is well-formed but not allowed in the current state. */
  bad_request: 400,
  /** An uploaded MLS KeyPackage is malformed, badly signed, in another suite, or not the caller's device's (`details` says which and why); nothing was stored. */
  key_package_invalid: 400,
  /**
   * An event's archive copy (ADR 0007) is refused, nothing was written; `details.reason` says why:
   * `truncated`, `too_large`, `bad_version` (its framing), `wrong_epoch` / `wrong_generation` (its
   * framing names another epoch or generation than the event's), `epoch_missing` (the send names no
   * epoch), `not_content` (only messages, reactions, edits and deletes carry one), `device_only`
   * (the channel's history policy is device-only: send no archive copy).
   */
  archive_invalid: 400,
  /** A device approval's signature does not verify with the user's identity key over this device and its MLS signature key (ADR 0007); nothing was stored. */
  approval_invalid: 400,
  /** A Web Push subscription's endpoint is not an https URL (`details.reason`); nothing was stored. */
  push_endpoint_invalid: 400,
  /** An unsubscribe link's token is malformed, altered or from another server; nothing was changed. */
  unsubscribe_token_invalid: 400,
  /** A device already has as many Web Push subscriptions as allowed (`details.limit`): delete one first. */
  push_subscription_limit: 409,
  /** No or invalid access token. */
  unauthorized: 401,
  /** The access token has expired: refresh it. */
  token_expired: 401,
  /** Wrong organisation, username or password. */
  invalid_credentials: 401,
  /** A refresh token was used twice; its whole family is now revoked. */
  refresh_token_reused: 401,
  /** The refresh token is unknown, expired or revoked. */
  refresh_token_invalid: 401,
  /**
   * A new password breaks the org's password policy; `details.reason` says how: `too_short`
   * (`details.minLength`), `common` (it is on the list of common breached passwords), or
   * `contains_name` (it contains the username or the org's name). Nothing was changed.
   */
  password_rejected: 400,
  /** A password-reset or email-verification link is unknown, used, expired or superseded: ask for a new one. */
  token_invalid: 400,
  /**
   * A passkey (WebAuthn) response does not verify: wrong or used challenge, another origin or
   * relying party, a bad signature, an unknown credential, a signature counter that went
   * backwards, or no user verification where it is required. `details.reason` says which.
   */
  passkey_invalid: 401,
  /** The authenticator or recovery code is wrong, or was already used. */
  mfa_invalid: 401,
  /** The sign-in challenge is unknown, expired, used, or out of attempts: sign in again. */
  mfa_challenge_invalid: 401,
  /**
   * The password was right and the account uses MFA: `details` is an MfaChallenge; send a
   * code with it to `verifyMfa`.
   */
  mfa_required: 401,
  /** The org requires MFA of this user and their grace period is over: enrol an authenticator (`startTotp`) first. */
  mfa_enrollment_required: 403,
  /**
   * The org's edit policy refuses this edit (nothing was written): `details.reason` is
   * `disabled` (the org turned editing off) or `window_closed` (the message is older than
   * `details.windowMinutes`). Deletes are not limited by it.
   */
  edit_not_allowed: 403,
  /** The org allows sign-in and requests only from listed addresses, and this one is not listed. */
  ip_not_allowed: 403,
  /**
   * A single sign-on did not complete; `details.reason` says why: `state_invalid` (unknown,
   * used, expired, or started in another browser), `idp_error` (the IdP refused or the user
   * cancelled), `code_rejected` (the IdP refused the authorization code or PKCE verifier),
   * `token_invalid` (the ID token failed a check: signature, algorithm, issuer, audience,
   * expiry, nonce; `details.check`), `not_provisioned` (no linked account and no just-in-time
   * provisioning), `username_unusable`, `account_conflict` (the account with the verified
   * address is linked to another subject), `deactivated`, `provider_unknown` (removed or
   * disabled), `configuration` (the provider is misconfigured), `code_invalid` (the one-time
   * code of `completeSso` is unknown, used, expired or from another browser). Nothing was
   * signed in; start again from the sign-in screen.
   */
  sso_failed: 401,
  /**
   * The org signs in through single sign-on only: use the provider's button
   * (`details.providers`: `{ id, name }`). Owners and admins may be allowed to sign in with
   * their Parley password while the IdP is down.
   */
  sso_required: 403,
  /** The server's operator suspended this organisation: nobody can sign in until it is restored. */
  org_suspended: 403,
  /** The principal may not perform this action. */
  forbidden: 403,
  /** The user account has been deactivated by an admin. */
  user_deactivated: 403,
  /** The object does not exist or is not visible to the principal. */
  not_found: 404,
  /** A unique name is already taken. */
  already_exists: 409,
  /**
   * An integration cannot be registered as asked (nothing was written); `details.reason`:
   * `bot_not_service_account` (the bot user is not a service account) or `bot_not_member` (the
   * bot is not a member of the channel). A bot or channel of another org is `not_found`.
   */
  integration_invalid: 400,
  /**
   * An org policy text is refused (nothing was stored): it does not parse, is not exactly one
   * `forbid` statement (org policies only restrict), or fails validation against the Parley
   * Cedar schema; `details.problems` lists `{ message, help }`.
   */
  policy_invalid: 400,
  /**
   * A policy change is refused because afterwards no owner or admin could still manage the
   * org's security (`org.manage_security`); nothing was stored. `details.policies` names the
   * policies that would deny them.
   */
  policy_lockout: 409,
  /** Another account of the org already uses this email address. */
  email_taken: 409,
  /** First-run setup has already been completed. */
  setup_complete: 409,
  /** The channel is archived: unarchive it first. */
  channel_archived: 409,
  /** The MLS epoch named by a commit is not the channel's current epoch. */
  stale_epoch: 409,
  /**
   * The channel's group has leaves the server is removing (a revoked device, a kicked or
   * departed member) and the commit keeps them: apply the server's Remove proposals from the
   * timeline, commit them on their own, and retry. External joins wait until they are committed.
   */
  pending_removals: 409,
  /**
   * The channel's encryption was reset after the content (or commit) was encrypted for its
   * old group (`details.generation` is the current one): encrypt it again for the new group.
   */
  encryption_reset: 409,
  /**
   * The user's key locker already holds another locker public key or identity key: replacing them
   * (key rotation) is not supported yet. The recovery blob alone may be replaced.
   */
  locker_key_conflict: 409,
  /**
   * A legal hold covers what the request would remove or erase (`details.matters` names the
   * holds' matters): a compliance officer must release the hold first.
   */
  legal_hold: 409,
  /**
   * A pin names no message that can be pinned; `details.reason`: `missing` (no event with that
   * seq), `not_a_message` (a reaction, edit, delete or handshake) or `deleted` (the message was deleted).
   */
  pin_target_invalid: 409,
  /** The channel already holds as many pins as allowed (`details.limit`): unpin one first. */
  pin_limit: 409,
  /**
   * A personal item write (put or delete) is older (`clientTs`) than the stored change: another
   * device wrote later. `details.item` is the stored item (a PersonalItem): adopt it.
   */
  personal_item_stale: 409,
  /** The user already holds as many live items of this kind as allowed (`details.limit`): delete some first. */
  personal_item_limit: 409,
  /**
   * A reminder's due time is refused, nothing stored: `details.reason` `past` (more than a minute
   * ago) or `too_far` (beyond `REMINDER_LIMITS.maxAheadMs`).
   */
  reminder_due_invalid: 400,
  /** The user already has as many pending reminders as allowed (`details.limit`). */
  reminder_limit: 409,
  /** The channel already has an active call (`details.callId`): join it instead of starting another. */
  call_active: 409,
  /** The call has ended (or never rang this user): nothing was changed. */
  call_ended: 409,
  /** This device is not in the call (join it first), or the signalling target is not a device in the call. */
  call_not_joined: 409,
  /** The call holds as many devices as allowed (`details.limit`). */
  call_full: 409,
  /** The org does not allow recording calls (`GET /org/call-policy`): nothing was changed. */
  call_recording_not_allowed: 403,
  /** The call is not a group call through the SFU (a DM's 1:1 call is peer to peer: use `call.signal`). */
  call_not_sfu: 409,
  /**
   * The SFU refused or could not do a media request (nothing changed on it): `details.reason`
   * `no_session` (publish or subscribe first), `not_published` (a feed asked for sends no media
   * yet), `already_published`, `no_stream` (call.sfu.configure named a mid outside the subscription), or `sfu_error` (with Janus's `details.sfuCode`).
   */
  sfu_refused: 409,
  /** Too many call starts (rings) from this user: `details.retryAfterSeconds` until the next is accepted. */
  call_ring_throttled: 429,
  /** A custom emoji with this shortcode exists: delete it first to replace it. */
  emoji_exists: 409,
  /** The org holds as many custom emoji as allowed (`details.limit`). */
  emoji_limit: 409,
  /**
   * A custom emoji image is refused, nothing stored; `details.reason`: `type` (the bytes are not
   * the claimed image type), `dimensions` (unreadable, or larger than the limit: `details.maxPixels`).
   */
  emoji_image_invalid: 400,
  /** The legal hold was already released. */
  hold_released: 409,
  /**
   * A compliance archive policy is refused (nothing stored): its signature does not verify, it
   * names another org, its version is not the next one, or it is signed by another key than the
   * current policy's (`details.reason`). Archive keys sealed under another policy version than the
   * current one are refused the same way: fetch the policy again.
   */
  archive_policy_invalid: 400,
  /** The channel is not under the org's compliance archive (as the server reads the current policy): nothing to append. */
  not_archived: 409,
  /** The user was already erased (GDPR erasure, `details.erasedAt`): there is nothing left to erase or ask for. */
  already_erased: 409,
  /** The data-subject request is no longer pending (`details.status`: completed or declined). */
  gdpr_request_closed: 409,
  /** The approval request is not in a state that allows this step (`details.state` says which it is in). */
  approval_state: 409,
  /** The calling device is already approved: it needs no approval request. */
  already_approved: 409,
  /** Only an approved device (one that holds the user's identity key) can approve another. */
  not_approved: 403,
  /** An upload chunk's Upload-Offset is not the file's current offset: resume from `details.offset`. */
  upload_offset_mismatch: 409,
  /** The invite link has expired, been used up or been revoked. */
  invite_invalid: 410,
  /** The request body is larger than the configured limit. */
  payload_too_large: 413,
  /** The event content is larger than the configured message size limit. */
  message_too_large: 413,
  /** The requested byte range lies outside the file (`details.size` says how long it is). */
  range_not_satisfiable: 416,
  /** Too many requests: wait for Retry-After seconds. */
  rate_limited: 429,
  /** Too many failed logins for this account or address: wait for Retry-After seconds. */
  login_throttled: 429,
  /** The device or user already holds as many WebSocket connections as a node allows (`details.scope`, `details.limit`): close one, or retry later. */
  too_many_connections: 429,
  /** An unexpected server error; it has been logged with the request id. */
  internal: 500,
  /** The server is shutting down or a dependency is unreachable: retry shortly. */
  unavailable: 503,
  /**
   * The org signs in through its directory (LDAP / Active Directory) and the directory cannot
   * be reached or refuses the server's service account: try again in a few minutes; if it
   * persists, an admin should check the org's LDAP settings (owners and admins may be allowed
   * to sign in with their Parley password meanwhile). Also the answer of a single sign-on
   * whose identity provider (OIDC discovery or token endpoint) cannot be reached.
   */
  idp_unavailable: 503,
  /** Group-call media is unavailable: no SFU is configured, or its connection is down (the server reconnects): retry shortly. */
  sfu_unavailable: 503,
  /** The server has no outgoing email configured (PARLEY_SMTP_URL): ask an admin to reset the password or set the address. */
  email_unavailable: 503,
} as const;

/** A stable, machine-readable error code. */
export type ErrorCode = keyof typeof ERROR_STATUS;

/** All error codes, for validation and documentation. */
export const ERROR_CODES = Object.keys(ERROR_STATUS) as ErrorCode[];

/** The JSON body of every error response and of WebSocket `error` frames. */
export interface ErrorBody {
  code: ErrorCode;
  message: string;
  details?: unknown;
}

/** Codes a client may retry unchanged (after a delay where Retry-After says so). */
export const RETRYABLE_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  "rate_limited",
  "login_throttled",
  "too_many_connections",
  "internal",
  "unavailable",
  "stale_epoch",
  "pending_removals",
  "call_ring_throttled",
  "sfu_unavailable",
]);

/** Whether `code` names an error a client may retry. */
export function isRetryableCode(code: string): boolean {
  return RETRYABLE_CODES.has(code as ErrorCode);
}
