/**
 * Kysely table types of identity and access (issue 10): account links and tokens, MFA,
 * passkeys, API keys, operators, LDAP, SCIM, single sign-on, org policies and custom roles.
 * The Database interface that names them is in tables.ts.
 */

/** An org's Cedar policy (migration 0024): one `forbid` statement; modules/access/policies.ts. */
export interface OrgPoliciesTable {
  id: string;
  org_id: string;
  name: string;
  description: string;
  text: string;
  /** 1 while enforced. */
  enabled: number;
  created_by: string;
  created_at: number;
  updated_at: number;
}
/** A custom org role (migration 0024): a named subset of the permission catalogue. */
export interface OrgRolesTable {
  id: string;
  org_id: string;
  name: string;
  description: string;
  /** JSON array of catalogue permissions. */
  permissions: string;
  created_at: number;
  updated_at: number;
}
/** Who holds a custom org role (migration 0024). */
export interface OrgRoleMembersTable {
  role_id: string;
  user_id: string;
  org_id: string;
  granted_by: string;
  granted_at: number;
}

/** Single-use links: password resets and email verifications (only the token's hash is stored). */
export interface AccountTokensTable {
  id: string;
  token_hash: string;
  purpose: "password_reset" | "email_verify";
  org_id: string;
  user_id: string;
  email: string | null;
  created_by: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}
export interface UserAvatarsTable {
  user_id: string;
  org_id: string;
  content_type: string;
  data: Uint8Array;
  version: string;
  updated_at: number;
}
/** A user's authenticator app: the secret sealed through platform/kms (context `totp:<user id>`). */
export interface UserMfaTable {
  user_id: string;
  org_id: string;
  totp_secret: string | null;
  totp_enabled_at: number | null;
  /** The time step of the last code accepted: a code is accepted once. */
  totp_last_step: number | null;
  /** A secret being enrolled, until confirmed. */
  pending_secret: string | null;
  pending_at: number | null;
}
export interface OperatorTokensTable {
  id: string;
  name: string;
  token_hash: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}
export interface ApiKeysTable {
  id: string;
  org_id: string;
  user_id: string;
  name: string;
  key_hash: string;
  prefix: string;
  /** JSON array of read | write | admin. */
  scopes: string;
  created_by: string;
  created_at: number;
  expires_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}
export interface PasskeysTable {
  id: string;
  org_id: string;
  user_id: string;
  name: string;
  public_key: Uint8Array;
  counter: number;
  /** JSON array of transport hints. */
  transports: string;
  backed_up: number;
  created_at: number;
  last_used_at: number | null;
}
export interface WebauthnChallengesTable {
  id: string;
  challenge: string;
  purpose: "register" | "sign_in" | "mfa";
  org_id: string;
  user_id: string | null;
  expires_at: number;
  used_at: number | null;
}
export interface MfaRecoveryCodesTable {
  code_hash: string;
  user_id: string;
  org_id: string;
  created_at: number;
  used_at: number | null;
}
export interface MfaChallengesTable {
  id: string;
  token_hash: string;
  org_id: string;
  user_id: string;
  device_id: string | null;
  device_name: string | null;
  attempts: number;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}
/** An org's LDAP / Active Directory settings (migration 0018): `settings` is JSON (protocol LdapSettings). */
export interface LdapConfigsTable {
  org_id: string;
  settings: string;
  /** The service account's password, sealed through platform/kms (context `ldap-bind:<org id>`). */
  bind_password: string;
  updated_by: string;
  updated_at: number;
  /** The last sync's outcome (JSON, protocol LdapSyncStatus), or null. */
  last_sync: string | null;
  last_sync_at: number | null;
  /** A running sync holds the org until then (ms). */
  sync_lease_until: number | null;
}
/** A Parley account that comes from the org's directory (migration 0018). */
export interface LdapAccountsTable {
  user_id: string;
  org_id: string;
  /** The entry's stable id: `id:<text>` or `hex:<bytes>` of the configured id attribute, or `dn:<normalised DN>`. */
  external_id: string;
  dn: string;
  /** 1 when the sync deactivated the account (it left the directory): only those are reactivated by it. */
  deactivated_by_sync: number;
  created_at: number;
  synced_at: number;
}
/** A channel membership the LDAP group mapping granted (migration 0018). */
export interface LdapChannelGrantsTable {
  channel_id: string;
  user_id: string;
  org_id: string;
  created_at: number;
}
/** A SCIM bearer token of an org (migration 0017): only its hash is stored. */
export interface ScimTokensTable {
  id: string;
  org_id: string;
  name: string;
  token_hash: string;
  /** The creator's role: the token acts with that authority. */
  authority: "owner" | "admin";
  created_by: string;
  created_at: number;
  expires_at: number | null;
  last_used_at: number | null;
  revoked_at: number | null;
}
/** What SCIM knows of a user beyond the users row (migration 0017). */
export interface ScimUsersTable {
  user_id: string;
  org_id: string;
  /** The identity provider's userName as sent; `user_name_key` lowercased, unique in the org. */
  user_name: string;
  user_name_key: string;
  external_id: string | null;
  name_formatted: string | null;
  family_name: string | null;
  given_name: string | null;
  middle_name: string | null;
  honorific_prefix: string | null;
  honorific_suffix: string | null;
  /** The org role a group mapping last gave the user. */
  managed_role: "admin" | "member" | "guest" | null;
  created_at: number;
  updated_at: number;
  /** A SCIM DELETE: the user is deactivated and no longer seen by SCIM. */
  deleted_at: number | null;
}
/** A SCIM group (migration 0017) and its mapping to an org role (the channels: scim_group_channels). */
export interface ScimGroupsTable {
  id: string;
  org_id: string;
  display_name: string;
  display_name_key: string;
  external_id: string | null;
  role: "admin" | "member" | "guest" | null;
  created_at: number;
  updated_at: number;
}
export interface ScimGroupMembersTable {
  group_id: string;
  user_id: string;
  org_id: string;
  created_at: number;
}
export interface ScimGroupChannelsTable {
  group_id: string;
  channel_id: string;
  org_id: string;
}
/** A channel membership a SCIM group mapping granted (only those are taken away by it). */
export interface ScimChannelGrantsTable {
  user_id: string;
  channel_id: string;
  org_id: string;
  created_at: number;
}
/** An org's single sign-on provider (migration 0020): `settings` is JSON (protocol OidcSettings or SamlSettings by `kind`). */
export interface SsoProvidersTable {
  id: string;
  org_id: string;
  kind: "oidc" | "saml";
  name: string;
  /** 1 or 0. */
  enabled: number;
  settings: string;
  /** Sealed through platform/kms (context `sso-client-secret:<provider id>`); null for a public client. */
  client_secret: string | null;
  /** SAML: the SP's signing key (PKCS#8 PEM) sealed through platform/kms (context `sso-saml-key:<provider id>`; migration 0023). */
  sp_private_key?: string | null;
  /** SAML: the SP's self-signed signing certificate (PEM), published in the SP metadata. */
  sp_certificate?: string | null;
  created_by: string;
  created_at: number;
  updated_by: string;
  updated_at: number;
}
/** A Parley account linked to an IdP subject (migration 0020). */
export interface SsoIdentitiesTable {
  provider_id: string;
  /** The IdP's `sub`. */
  subject: string;
  org_id: string;
  user_id: string;
  created_at: number;
  last_sign_in_at: number | null;
}
/** One redirect to an IdP, used once by its callback (migration 0020). */
export interface SsoStatesTable {
  /** SHA-256 of the `state` parameter. */
  state_hash: string;
  org_id: string;
  provider_id: string;
  nonce: string;
  /** The PKCE code verifier, sealed (context `sso-pkce:<state hash>`). */
  code_verifier: string;
  /** SHA-256 of the browser-binding cookie set with the redirect. */
  browser_hash: string;
  device_name: string | null;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}
/** The one-time code a successful callback hands the web app (migration 0020). */
export interface SsoCodesTable {
  code_hash: string;
  org_id: string;
  provider_id: string;
  user_id: string;
  browser_hash: string;
  /** The IdP's session id, for back-channel logout. */
  sid: string | null;
  /** JSON array of the ID token's `amr`, or null. */
  amr: string | null;
  device_name: string | null;
  /** SAML: the assertion's NameID and its format, handed on to the session (migration 0023). */
  name_id?: string | null;
  name_id_format?: string | null;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}
/** SAML assertion and LogoutRequest IDs already acted on (migration 0023), kept until they expire: a replay is refused. */
export interface SsoSamlReplayTable {
  provider_id: string;
  message_id: string;
  expires_at: number;
}
/** Back-channel logout tokens already acted on (migration 0020), kept until they expire. */
export interface SsoLogoutTokensTable {
  provider_id: string;
  jti: string;
  expires_at: number;
}
/** A channel membership the SSO group mapping granted (migration 0020). */
export interface SsoChannelGrantsTable {
  channel_id: string;
  user_id: string;
  org_id: string;
  provider_id: string;
  created_at: number;
}
