/**
 * A provider row as the rest of the module uses it: its settings (the stored JSON checked
 * against the protocol schema of its kind), its secrets opened from platform/kms (the OIDC
 * client secret, the SAML SP's private key), the URLs to register at the IdP, and the admin's
 * view of it (never a secret).
 */
import {
  OidcSettings as OidcSettingsSchema,
  SamlSettings as SamlSettingsSchema,
  type OidcSettings,
  type SamlSettings,
  type SsoClaims,
  type SsoProvider,
} from "@parley/protocol";
import type { Deps } from "../../context.ts";
import type { SsoProvidersTable } from "../../platform/db/tables.ts";

/** The callback path of every OIDC provider (the state says which provider a callback is for). */
export const CALLBACK_PATH = "/auth/sso/oidc/callback";
export const BACKCHANNEL_PATH = "/auth/sso/oidc/backchannel";
/** Where the browser lands after a sign-in, with `#code=` or `#error=`: the web app's /sso page. */
export const WEB_LANDING_PATH = "/sso";

interface ProviderBase {
  id: string;
  orgId: string;
  name: string;
  enabled: boolean;
}

/** An OIDC provider ready for a sign-in. */
export interface OidcProvider extends ProviderBase {
  kind: "oidc";
  settings: OidcSettings;
  /** Opened lazily: only the token endpoint needs it. */
  clientSecret(): Promise<string | null>;
}

/** A SAML provider ready for a sign-in. */
export interface SamlProvider extends ProviderBase {
  kind: "saml";
  settings: SamlSettings;
  /** The SP's signing certificate (PEM). */
  spCertificate: string;
  /** The SP's signing key (PEM), opened lazily. */
  spPrivateKey(): Promise<string>;
}

export type Provider = OidcProvider | SamlProvider;

export const secretContext = (providerId: string) => `sso-client-secret:${providerId}`;
export const samlKeyContext = (providerId: string) => `sso-saml-key:${providerId}`;

/** Where a provider's sign-in reads the username, email, name and groups (OIDC claims, SAML attributes). */
export function claimNamesOf(p: Provider): SsoClaims {
  return p.kind === "oidc" ? p.settings.claims : p.settings.attributes;
}

type SettingsOf<K extends SsoProvidersTable["kind"]> = K extends "oidc" ? OidcSettings : SamlSettings;

/** The stored settings, or undefined when they no longer parse (logged: the provider then does not work). */
export function settingsOf<K extends SsoProvidersTable["kind"]>(
  deps: Deps,
  row: Pick<SsoProvidersTable, "id" | "org_id" | "settings"> & { kind: K },
): SettingsOf<K> | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(row.settings);
  } catch {
    raw = undefined;
  }
  const parsed = (row.kind === "saml" ? SamlSettingsSchema : OidcSettingsSchema).safeParse(raw) as { success: true; data: SettingsOf<K> } | { success: false };
  if (!parsed.success)
    deps.log.error(
      { module: "sso", orgId: row.org_id, providerId: row.id },
      "stored SSO provider settings do not parse; it is off until an admin saves it again",
    );
  return parsed.success ? parsed.data : undefined;
}

/** The row as a Provider, or undefined when its settings (or a SAML provider's key pair) are broken. */
export function providerOf(deps: Deps, row: SsoProvidersTable): Provider | undefined {
  const base = { id: row.id, orgId: row.org_id, name: row.name };
  if (row.kind === "saml") {
    const settings = settingsOf(deps, { ...row, kind: "saml" });
    const sealedKey = row.sp_private_key;
    if (!settings || !sealedKey || !row.sp_certificate) return undefined;
    return {
      ...base,
      kind: "saml",
      enabled: row.enabled === 1 && settings.enabled,
      settings,
      spCertificate: row.sp_certificate,
      spPrivateKey: async () => new TextDecoder().decode(await deps.kms.open(sealedKey, samlKeyContext(row.id), { orgId: row.org_id })),
    };
  }
  const settings = settingsOf(deps, { ...row, kind: "oidc" });
  if (!settings) return undefined;
  return {
    ...base,
    kind: "oidc",
    enabled: row.enabled === 1 && settings.enabled,
    settings,
    clientSecret: async () =>
      row.client_secret === null ? null : new TextDecoder().decode(await deps.kms.open(row.client_secret, secretContext(row.id), { orgId: row.org_id })),
  };
}

/** The URLs an admin registers at the IdP. */
export function registeredUrls(deps: Deps): { redirectUri: string; postLogoutRedirectUri: string; backchannelLogoutUri: string } {
  const base = deps.publicUrl.get();
  return { redirectUri: base + CALLBACK_PATH, postLogoutRedirectUri: `${base}/`, backchannelLogoutUri: base + BACKCHANNEL_PATH };
}

/** The SAML endpoints of a provider (its SP entity ID is its metadata URL). */
export function samlUrls(deps: Deps, providerId: string): { spEntityId: string; acsUrl: string; sloUrl: string; metadataUrl: string } {
  const base = `${deps.publicUrl.get()}/auth/sso/${providerId}/saml`;
  return { spEntityId: `${base}/metadata`, acsUrl: `${base}/acs`, sloUrl: `${base}/slo`, metadataUrl: `${base}/metadata` };
}

/** The admin's view of a provider. */
export function toSsoProvider(deps: Deps, row: SsoProvidersTable): SsoProvider | undefined {
  if (row.kind === "saml") {
    const settings = settingsOf(deps, { ...row, kind: "saml" });
    if (!settings || !row.sp_certificate) return undefined;
    return {
      ...settings,
      name: row.name,
      enabled: row.enabled === 1,
      id: row.id,
      kind: "saml",
      ...samlUrls(deps, row.id),
      spCertificate: row.sp_certificate,
      createdAt: Number(row.created_at),
      updatedAt: Number(row.updated_at),
    };
  }
  const settings = settingsOf(deps, { ...row, kind: "oidc" });
  if (!settings) return undefined;
  return {
    ...settings,
    name: row.name,
    enabled: row.enabled === 1,
    id: row.id,
    kind: "oidc",
    clientSecretSet: row.client_secret !== null,
    ...registeredUrls(deps),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}
